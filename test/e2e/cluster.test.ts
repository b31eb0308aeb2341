// A cluster of standalone nodes on real PostgreSQL and Redis: two Node and one
// Bun process with the same DATABASE_URL and REDIS_URL. A publish on one node
// reaches a WebSocket on a second and an SSE stream on a third; what every
// node acknowledged is in the log and reaches each client once, in order,
// across publishes spread over every node; a kick on one node ends the
// user's connections on all; a node killed mid-publish loses nothing it acknowledged.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubClient, eventually, type HubClient } from '../conformance/clients.ts';
import { haveEngines, startPostgres, startRedis, type Engine } from '../hosts/engines.ts';
import { startStandalone, type StandaloneProcess } from '../hosts/standalone.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { TEST_VARS } from '../helpers/test-vars.ts';

let postgres: Engine;
let redis: Engine;
const nodes: StandaloneProcess[] = [];
let clients: HubClient[];

const startNode = (runtime: 'node' | 'bun' | 'deno' = 'node') => startStandalone(runtime, { ...TEST_VARS, DATABASE_URL: postgres.url, REDIS_URL: redis.url });

beforeAll(async () => {
  if (!haveEngines()) return;
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  // Node and Bun nodes side by side: the same tables, the same channels.
  for (const runtime of ['node', 'bun', 'deno'] as const) nodes.push(await startNode(runtime));
  clients = nodes.map((node) => createHubClient(node.url));
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  await Promise.all([postgres?.stop(), redis?.stop()]);
}, 60_000);

const publishOk = async (client: HubClient, userId: string, n: number, webhookId?: string) => {
  const response = await client.publish(userId, 'order.shipped', { n }, webhookId ? { webhookId } : undefined);
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string };
};

describe.skipIf(!haveEngines())('a cluster on PostgreSQL and Redis', () => {
  it('delivers a publish on one node to a WebSocket on a second and an SSE stream on a third', { timeout: 30_000 }, async () => {
    const [a, b, c] = clients as [HubClient, HubClient, HubClient];
    const user = uniqueUser('cluster');
    const ws = await b.socket(user);
    await ws.untilReady();
    const sse = c.eventSource(`${c.base}/v1/events?ticket=${await c.ticket(user)}`, { types: ['order.shipped', 'hub.ready'] });
    expect((await sse.events.next()).type).toBe('hub.ready');
    const { id } = await publishOk(a, user, 1);
    expect(await ws.frames.next()).toMatchObject({ id, type: 'order.shipped', data: { n: 1 } });
    expect(await sse.events.next()).toMatchObject({ id, type: 'order.shipped' });
    sse.source.close();
    ws.ws.close();
  });

  it('gets every event once and in order while publishes are spread over every node', { timeout: 60_000 }, async () => {
    const user = uniqueUser('order');
    const sockets = await Promise.all(clients.map(async (client) => {
      const socket = await client.socket(user);
      await socket.untilReady();
      return socket;
    }));
    const N = 150;
    const acknowledged = await Promise.all(Array.from({ length: N }, (_, i) => publishOk(clients[i % 3]!, user, i)));
    const ids = acknowledged.map((ack) => Number(ack.id)).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => i + 1)); // one id each, no gap, none twice
    for (const socket of sockets) {
      const got: number[] = [];
      while (got.length < N) got.push(Number((await socket.frames.next()).id));
      expect(got).toEqual(ids);
      socket.ws.close();
    }
  });

  it('sends each commit through Redis to the nodes holding the user\'s connections only, never to every node', { timeout: 30_000 }, async () => {
    const traffic = async (i: number) => {
      const text = await (await fetch(`${nodes[i]!.url}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)![1]);
      return { messages: value('userhub_cluster_messages_total'), receivers: value('userhub_cluster_message_receivers_total') };
    };
    const nowhere = uniqueUser('nowhere');
    const one = uniqueUser('one');
    const two = uniqueUser('two');
    const onB = await clients[1]!.socket(one);
    const onA = await clients[0]!.socket(two);
    const onC = await clients[2]!.socket(two);
    for (const socket of [onB, onA, onC]) await socket.untilReady();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the subscriptions are confirmed
    const before = await traffic(0);
    await publishOk(clients[0]!, nowhere, 1); // no node holds this user: Redis hands it to none
    await publishOk(clients[0]!, one, 1); // one node (B) holds it
    await publishOk(clients[0]!, two, 1); // two nodes (A, the publisher, and C)
    const expected = { messages: before.messages + 3, receivers: before.receivers + 0 + 1 + 2 };
    await eventually(async () => JSON.stringify(await traffic(0)) === JSON.stringify(expected)).catch(() => undefined);
    expect(await traffic(0)).toEqual(expected);
    for (const socket of [onB, onA, onC]) socket.ws.close();
  });

  it('answers a retried webhook-id on another node from the first write, not a second event', async () => {
    const user = uniqueUser('dedupe');
    const webhookId = `msg_${crypto.randomUUID()}`;
    const first = await publishOk(clients[0]!, user, 1, webhookId);
    const again = await clients[1]!.publish(user, 'order.shipped', { n: 1 }, { webhookId });
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ id: first.id, duplicate: true });
  });

  it('resumes on another node from the last id, losing nothing', { timeout: 30_000 }, async () => {
    const user = uniqueUser('resume');
    const first = await clients[0]!.socket(user);
    await first.untilReady();
    await publishOk(clients[1]!, user, 1);
    const one = await first.frames.next();
    first.ws.close();
    await publishOk(clients[2]!, user, 2);
    await publishOk(clients[0]!, user, 3);
    const second = await clients[2]!.socket(user, { after: one.id });
    const replayed = await second.untilReady();
    expect(replayed.map((frame) => frame.type)).toEqual(['order.shipped', 'order.shipped', 'hub.ready']);
    expect(replayed.slice(0, 2).map((frame) => (frame.data as { n: number }).n)).toEqual([2, 3]);
    second.ws.close();
  });

  it('ends the user\'s connections on every node when one node ends its sessions', { timeout: 30_000 }, async () => {
    const user = uniqueUser('kick');
    const sockets = await Promise.all(clients.map(async (client) => {
      const socket = await client.socket(user);
      await socket.untilReady();
      return socket;
    }));
    const response = await clients[0]!.signed('DELETE', `/v1/users/${user}/connections?revoke=true`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ closed: 1 }); // this node's own; the others close theirs when told
    for (const socket of sockets) expect(await socket.closed).toBe(4503);
  });

  it('repairs from the log what Redis lost: events published while it was down reach a socket on another node', { timeout: 60_000 }, async () => {
    const user = uniqueUser('redis-down');
    const socket = await clients[1]!.socket(user);
    await socket.untilReady();
    await redis.kill();
    const { id } = await publishOk(clients[0]!, user, 1); // committed in PostgreSQL; its pub/sub message is lost
    expect(await socket.frames.next()).toMatchObject({ id, data: { n: 1 } }); // the periodic check reads it from the log
    await redis.restart();
    const after = await publishOk(clients[2]!, user, 2);
    expect(await socket.frames.next()).toMatchObject({ id: after.id, data: { n: 2 } });
    socket.ws.close();
  });

  it('closes a stream on one node when its token expires there, saying hub.expiring first (the expiry is that node\'s)', { timeout: 30_000 }, async () => {
    const user = uniqueUser('expiry');
    const ws = new WebSocket(`${nodes[1]!.url.replace('http', 'ws')}/v1/connect`, { headers: { Authorization: `Bearer ${await tokenFor(user, 3)}` } });
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)).type as string));
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
    expect(frames).toContain('hub.expiring');
  });

  it('closes a revoked stream on another node even when the revoke\'s message is lost', { timeout: 30_000 }, async () => {
    const user = uniqueUser('revoke-lost');
    const socket = await clients[1]!.socket(user);
    await socket.untilReady();
    await redis.kill();
    const response = await clients[0]!.signed('DELETE', `/v1/users/${user}/connections?revoke=true`);
    expect(response.status).toBe(200);
    expect(await socket.closed).toBe(4503); // the periodic check reads the revocation point
    await redis.restart();
  });

  it('drops a malformed message on a user\'s channel and goes on delivering', { timeout: 30_000 }, async () => {
    const user = uniqueUser('garbage');
    const socket = await clients[1]!.socket(user);
    await socket.untilReady();
    const port = new URL(redis.url).port;
    for (const junk of ['not json', '{"n":"x","e":{"id":"1; DROP"}}', '{"n":"x","x":["a"]}', '[]']) {
      execFileSync('redis-cli', ['-p', port, 'SPUBLISH', `userhub:{${user}}`, junk]);
    }
    const { id } = await publishOk(clients[0]!, user, 1);
    expect(await socket.frames.next()).toMatchObject({ id, data: { n: 1 } });
    expect(socket.frames.pending).toEqual([]);
    socket.ws.close();
  });

  it('loses nothing it acknowledged when a node is killed mid-publish', { timeout: 60_000 }, async () => {
    const user = uniqueUser('crash');
    const victim = nodes[2]!;
    const acknowledged: number[] = [];
    const publishing = Array.from({ length: 200 }, async (_, i) => {
      const response = await clients[2]!.publish(user, 'order.shipped', { i }).catch(() => null);
      if (response?.status === 202) acknowledged.push(Number(((await response.json()) as { id: string }).id));
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await victim.kill();
    await Promise.all(publishing);
    const page = (await (await clients[0]!.get(user, `/v1/poll?after=0&limit=100`)).json()) as { events: { id: string }[]; more: boolean; lastId: string };
    const stored = new Set<number>(page.events.map((event) => Number(event.id)));
    let { lastId, more } = page;
    while (more) {
      const next = (await (await clients[0]!.get(user, `/v1/poll?after=${lastId}&limit=100`)).json()) as typeof page;
      for (const event of next.events) stored.add(Number(event.id));
      ({ lastId, more } = next);
    }
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    nodes[2] = await startNode();
    clients[2] = createHubClient(nodes[2].url);
  });
});

