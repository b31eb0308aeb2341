const { startPushService, vapidKeys } = await import('../test/helpers/push-service.ts');
const k = await vapidKeys();
const s = await startPushService(k.publicKey, 'mailto:a@b.c');
const { execFile } = await import('node:child_process'); const run = (await import('node:util')).promisify(execFile);
for (const env of [{ DENO_CERT: s.caFile }, { DENO_CERT: s.caFile, DENO_TLS_CA_STORE: 'system,mozilla' }]) {
  try {
    console.log(JSON.stringify(env).slice(0, 60), (await run('deno', ['run', '--allow-net', '--allow-env', '--allow-read', '/tmp/denotls.ts', s.origin + '/push/x'], { env: { ...process.env, ...env }, timeout: 20000 })).stdout);
  } catch (e) { console.log('fail', e.stdout?.toString(), e.stderr?.toString().slice(0, 300)); }
}
await s.close();
