// A WebSocket peer that vanished without closing (a dead TCP connection) is
// ended by the standalone hosts: the runtime pings an idle socket and closes
// one that answers nothing for WS_PEER_IDLE_SECONDS, so it cannot pin memory.
// A live idle peer (one that answers pings, as every WebSocket does) stays.

import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient, eventually } from '../conformance/clients.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { startStandalone, type Runtime } from '../hosts/standalone.ts';
import type { RunningHost } from '../hosts/wrangler-dev.ts';

const IDLE_SECONDS = 3;
const RUNTIMES: Runtime[] = ['node', 'bun', 'deno'];
const hosts = new Map<Runtime, RunningHost>();

beforeAll(async () => {
  await Promise.all(
    RUNTIMES.map(async (runtime) => hosts.set(runtime, await startStandalone(runtime, { ...TEST_VARS, WS_PEER_IDLE_SECONDS: String(IDLE_SECONDS) }))),
  );
}, 60_000);
afterAll(() => Promise.all([...hosts.values()].map((host) => host.stop())));

/** Completes a WebSocket handshake over raw TCP, then never reads a frame nor answers a ping. */
async function silentPeer(base: string, user: string) {
  const url = new URL(base);
  const token = await tokenFor(user);
  const socket = connectTcp(Number(url.port), url.hostname);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(
    `GET /v1/connect HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  await eventually(() => received.startsWith('HTTP/1.1 101'), 5000);
  return { socket, closed };
}

describe.concurrent('dead WebSocket peers on standalone hosts', () => {
  for (const runtime of RUNTIMES) {
    it(`${runtime}: ends a peer silent for WS_PEER_IDLE_SECONDS, keeps one that answers pings`, { timeout: 40_000 }, async () => {
      const client = createHubClient(hosts.get(runtime)!.url);
      const silentUser = uniqueUser('silent');
      const silent = await silentPeer(client.base, silentUser);
      const liveUser = uniqueUser('live');
      const live = await client.socket(liveUser); // the ws package answers pings by itself
      await live.untilReady();
      expect((await client.presence(silentUser)).connections.websocket).toBe(1);
      const started = Date.now();
      await eventually(async () => (await client.presence(silentUser)).connections.websocket === 0, IDLE_SECONDS * 4000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_SECONDS * 500);
      await silent.closed;
      // The live peer outlasted the silent one by well over its idle limit, and still receives.
      await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 2000));
      expect((await client.presence(liveUser)).connections.websocket).toBe(1);
      expect(await (await client.publish(liveUser, 'still.here', 1)).json()).toMatchObject({ delivered: 1 });
      live.ws.close();
    });
  }
});
