// The cluster's Redis fan-out: how many nodes Redis hands each publish to,
// read from every node's GET /metrics around a step whose users' connections
// sit on nodes chosen for them. A node sends one SPUBLISH per commit, and
// Redis's answer counts the nodes subscribed to that user's channel, the
// publishing node included when it holds some of the user's connections (it
// drops its own message, having delivered it already). So the receivers per
// publish should be the nodes holding the user's connections, never every node.

import type { Conn } from './load-worker.ts';
import type { StepResult } from './run.ts';
import { sleep } from './lib.ts';

/** Redis traffic summed over a cluster's nodes: SPUBLISH calls, and the subscribed nodes they reached. */
export interface Traffic {
  messages: number;
  receivers: number;
}

/** One placement: every user's connections on `holders` nodes of `nodes`. */
export interface FanoutPlacement {
  placement: string;
  holders: number;
  nodes: number;
  users: number;
  connections: number;
  /** Publishes answered 2xx, landing on any node (through the balancer). */
  published: number;
  messages: number;
  receivers: number;
  lost: number;
  duplicated: number;
  p99: number;
}

/** What the bench gives the measurement: connecting placed connections, one publish step over a plan, closing. */
export interface FanoutDriver {
  connect(conns: Conn[]): Promise<number>;
  step(plan: string[], index: number): Promise<StepResult>;
  close(): Promise<void>;
}

const USERS = 30;

const counter = (text: string, name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);

/** The nodes' counters now, summed. */
export async function traffic(nodeUrls: string[]): Promise<Traffic> {
  const texts = await Promise.all(nodeUrls.map(async (url) => (await fetch(`${url}/metrics`)).text()));
  return {
    messages: texts.reduce((sum, text) => sum + counter(text, 'userhub_cluster_messages_total'), 0),
    receivers: texts.reduce((sum, text) => sum + counter(text, 'userhub_cluster_message_receivers_total'), 0),
  };
}

/**
 * Three placements of 30 users with 3 WebSocket connections each, connected to
 * the nodes directly: on no node (nobody connected), all on one node (user i's
 * on node i mod N), and one on every node. Publishes go through the balancer,
 * so a third of them land on a node that holds the user.
 */
export async function measureFanout(nodeUrls: string[], driver: FanoutDriver): Promise<FanoutPlacement[]> {
  const nodes = nodeUrls.length;
  const placements = [
    { placement: 'no node', holders: 0, place: (_user: number, _conn: number) => -1 },
    { placement: 'one node', holders: 1, place: (user: number, _conn: number) => user % nodes },
    { placement: 'every node', holders: nodes, place: (_user: number, conn: number) => conn % nodes },
  ];
  const results: FanoutPlacement[] = [];
  for (const [k, { placement, holders, place }] of placements.entries()) {
    const users = Array.from({ length: USERS }, (_, i) => `fan${k}-u${i}`);
    const conns: Conn[] = users.flatMap((userId, user) =>
      Array.from({ length: nodes }, (_, conn) => place(user, conn))
        .filter((node) => node >= 0)
        .map((node) => ({ userId, transport: 'websocket' as const, url: nodeUrls[node]! })),
    );
    try {
      const connected = await driver.connect(conns);
      await sleep(1000); // each node's subscription confirmed by Redis
      const before = await traffic(nodeUrls);
      const step = await driver.step(users, 90 + k);
      const after = await traffic(nodeUrls);
      results.push({
        placement,
        holders,
        nodes,
        users: USERS,
        connections: connected,
        published: step.published,
        messages: after.messages - before.messages,
        receivers: after.receivers - before.receivers,
        lost: step.lost,
        duplicated: step.duplicated,
        p99: step.p99,
      });
    } finally {
      await driver.close();
    }
  }
  return results;
}

/** Whether every placement's publishes reached exactly the nodes holding the user's connections, one SPUBLISH each. */
export function fanoutHolds(placements: FanoutPlacement[]): boolean {
  return placements.length > 0 && placements.every((p) => p.published > 0 && p.messages === p.published && p.receivers === p.holders * p.messages);
}
