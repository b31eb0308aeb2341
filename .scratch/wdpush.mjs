const { startPushService, vapidKeys } = await import('../test/helpers/push-service.ts');
const { startWranglerDev } = await import('../test/hosts/wrangler-dev.ts');
const { TEST_VARS } = await import('../test/helpers/test-vars.ts');
const { tokenFor } = await import('../test/helpers/requests.ts');
const { createPublisher } = await import('../src/publisher/index.ts');
const k = await vapidKeys();
const s = await startPushService(k.publicKey, 'mailto:a@b.c');
const env = process.argv[2] ? JSON.parse(process.argv[2].replace('CA', s.caFile)) : {};
const host = await startWranglerDev({ ...TEST_VARS, VAPID_PUBLIC_KEY: k.publicKey, VAPID_PRIVATE_KEY: k.privateKey, VAPID_SUBJECT: 'mailto:a@b.c', PUSH_ENDPOINT_HOSTS: '127.0.0.1' }, { env });
try {
  const b = s.subscribe();
  const r = await fetch(`${host.url}/v1/push/subscriptions`, { method: 'POST', headers: { Authorization: `Bearer ${await tokenFor('u1')}`, 'Content-Type': 'application/json' }, body: JSON.stringify(b.json) });
  console.log('subscribe', r.status);
  await createPublisher({ url: host.url, secret: TEST_VARS.WEBHOOK_SECRET }).notify('u1', { type: 'n', title: 't' });
  await new Promise((r) => setTimeout(r, 4000));
  console.log('pushes', s.pushes(b).length, s.refused);
} finally { await host.stop(); await s.close(); }
