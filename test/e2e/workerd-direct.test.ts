// The deployed Worker bundle on workerd with no development proxy in front
// (bench/peers/workerd-direct.ts, its own config): what a client sees of a
// WebSocket the service ends is workerd's doing, not wrangler dev's.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient } from '../conformance/clients.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { freePort, freezeWorker, waitForHealth } from '../hosts/wrangler-dev.ts';
import { HOST_VARS } from './hosts.setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'userhub-workerd-'));
let child: ChildProcess | undefined;
let base = '';

beforeAll(async () => {
  freezeWorker(dir);
  const port = await freePort();
  child = spawn('node', ['--disable-warning=ExperimentalWarning', 'bench/peers/workerd-direct.ts', join(dir, 'worker'), String(port), join(dir, 'state')], {
    env: { ...process.env, ...HOST_VARS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, child, 60_000, () => output);
}, 120_000);

afterAll(() => {
  child?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('workerd run directly', () => {
  it('completes the close of a kicked WebSocket within a second (the TCP close, not only hub.closed)', async () => {
    const client = createHubClient(base);
    const user = uniqueUser('wd-kick');
    const socket = await client.socket(user);
    await socket.untilReady();
    // Frames cross the Worker's bridge both ways: a ping is answered, an event delivered.
    socket.ws.send('{"type":"ping"}');
    expect((await socket.frames.next()).type).toBe('pong');
    expect((await client.publish(user, 'export.ready', { n: 1 })).status).toBe(202);
    expect(await socket.frames.next()).toMatchObject({ type: 'export.ready', data: { n: 1 } });

    const kicked = await client.signed('DELETE', `/v1/users/${user}/connections`);
    expect(await kicked.json()).toEqual({ closed: 1 });
    const answered = Date.now();
    expect(await socket.closed).toBe(4503);
    expect(Date.now() - answered).toBeLessThan(1000);
    await expect.poll(async () => (await client.presence(user)).connections.websocket).toBe(0);
  });

  it('completes the close at a token\'s expiry (an alarm, no request) within a second of hub.closed', async () => {
    const client = createHubClient(base);
    const user = uniqueUser('wd-expiry');
    const socket = await client.socket(user, { headers: { Authorization: `Bearer ${await tokenFor(user, 3)}` } });
    await socket.untilReady();
    for (;;) if ((await socket.frames.next()).type === 'hub.closed') break;
    const said = Date.now();
    expect(await socket.closed).toBe(4401);
    expect(Date.now() - said).toBeLessThan(1000);
  });

  it('tells the actor at once when the client closes', async () => {
    const client = createHubClient(base);
    const user = uniqueUser('wd-leave');
    const socket = await client.socket(user);
    await socket.untilReady();
    expect((await client.presence(user)).connections.websocket).toBe(1);
    socket.ws.close(1000);
    expect(await socket.closed).toBe(1000);
    await expect.poll(async () => (await client.presence(user)).connections.websocket, { timeout: 2000 }).toBe(0);
  });
});
