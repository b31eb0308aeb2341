// The deploy bundle on workerd run directly (no wrangler dev proxy in front,
// bench/peers/workerd-direct.ts): a session the service ends is closed at
// once, its TCP connection included, as on wrangler dev; and the next
// connection of the same user works.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient } from '../conformance/clients.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { uniqueUser } from '../helpers/requests.ts';
import { freePort, waitForHealth } from '../hosts/wrangler-dev.ts';

let url = '';
let stop = async () => {};
const dir = mkdtempSync(join(tmpdir(), 'userhub-workerd-'));

beforeAll(async () => {
  execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', join(dir, 'bundle')], { env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, stdio: 'ignore' });
  const port = await freePort();
  const child = spawn(process.execPath, ['bench/peers/workerd-direct.ts', join(dir, 'bundle'), String(port), join(dir, 'state')], {
    env: { ...process.env, JWT_SECRET: TEST_VARS.JWT_SECRET, WEBHOOK_SECRET: TEST_VARS.WEBHOOK_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
  };
  url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, 60_000, () => output);
}, 120_000);

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('workerd run directly', () => {
  it('closes every WebSocket of a kicked user with 4503 within a second, and the same token connects again', async () => {
    const client = createHubClient(url);
    const user = uniqueUser('kick-direct');
    const sockets = [await client.socket(user), await client.socket(user)];
    for (const socket of sockets) await socket.untilReady();
    const kickedAt = Date.now();
    const kicked = await client.signed('DELETE', `/v1/users/${user}/connections`);
    expect(await kicked.json()).toEqual({ closed: 2 });
    expect(await Promise.all(sockets.map((socket) => socket.closed))).toEqual([4503, 4503]);
    expect(Date.now() - kickedAt).toBeLessThan(1000);
    const again = await client.socket(user);
    await again.untilReady();
    expect((await client.publish(user, 'after.kick', {})).status).toBe(202);
    expect((await again.frames.next(5000)).type).toBe('after.kick');
    again.ws.close();
  });
});
