import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/cloudflare/worker.ts';
import { createAnalyticsRecorder } from '../../src/cloudflare/analytics.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { BASE } from './clients.ts';

/** The Worker's own fetch with the test's bindings, METRICS replaced or removed. */
const workerWith = (metrics: unknown) => {
  const bindings = { ...(env as unknown as Record<string, unknown>), METRICS: metrics };
  return (request: Request) => Promise.resolve(worker.fetch(request, bindings));
};

/** A publish, a WebSocket connect and a 401 reject through the real Worker and Durable Object. */
async function traffic(fetch: (request: Request) => Promise<Response>, user: string) {
  const connect = await fetch(
    new Request(`${BASE}/v1/connect`, { headers: { Upgrade: 'websocket', Authorization: `Bearer ${await tokenFor(user)}` } }),
  );
  expect(connect.status).toBe(101);
  const ws = connect.webSocket!;
  ws.accept();
  const published = await fetch(await publishRequest(BASE, user, 'export.ready', { n: 1 }));
  expect(published.status).toBe(202);
  expect(await published.json()).toMatchObject({ id: '1', delivered: 1 });
  const refused = await fetch(new Request(`${BASE}/v1/events?ticket=not-a-ticket`));
  expect(refused.status).toBe(401);
  ws.close(1000, 'done');
}

describe('Analytics Engine counters', () => {
  it('is a no-op when METRICS is not bound: every request still succeeds', async () => {
    await traffic(workerWith(undefined), uniqueUser('no-metrics'));
    const recorder = createAnalyticsRecorder({});
    expect(() => {
      recorder.connected!('sse', 'u');
      recorder.disconnected!('sse', 'u');
      recorder.published!({ userId: 'u', eventId: '1', delivered: 1, duplicate: false });
      recorder.rejected!({ status: 401, code: 'unauthorized', route: null, method: 'GET', path: '/' });
    }).not.toThrow();
  });

  it('writes one data point per connect, publish and reject, through the bound dataset', async () => {
    // miniflare binds METRICS offline (vitest.config.ts); its points cannot be
    // read back, so each one is recorded on its way to the real binding.
    const bound = (env as unknown as { METRICS: AnalyticsEngineDataset }).METRICS;
    expect(typeof bound.writeDataPoint).toBe('function');
    const points: AnalyticsEngineDataPoint[] = [];
    const recording = {
      writeDataPoint(point: AnalyticsEngineDataPoint) {
        points.push(point);
        bound.writeDataPoint(point);
      },
    };
    const user = uniqueUser('metrics');
    await traffic(workerWith(recording), user);
    expect(points).toEqual([
      { indexes: [user], blobs: ['connect', 'websocket'], doubles: [1] },
      { indexes: [user], blobs: ['publish', 'event'], doubles: [1, 1] },
      { indexes: ['unauthorized'], blobs: ['reject', 'unauthorized', '/v1/events'], doubles: [1, 401] },
    ]);
  });

  it('counts a duplicate publish as no new event, and never lets a failing dataset fail a request', async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const user = uniqueUser('dup');
    const request = await publishRequest(BASE, user, 'a', 1, { webhookId: 'msg_dup_1' });
    const fetch = workerWith({ writeDataPoint: (point: AnalyticsEngineDataPoint) => points.push(point) });
    expect((await fetch(request.clone())).status).toBe(202);
    expect((await fetch(request)).status).toBe(202);
    expect(points.map((p) => [p.blobs?.[1], p.doubles])).toEqual([
      ['event', [1, 0]],
      ['duplicate', [0, 0]],
    ]);
    const failing = workerWith({
      writeDataPoint() {
        throw new Error('dataset unavailable');
      },
    });
    expect((await failing(await publishRequest(BASE, uniqueUser('fail'), 'a', 1))).status).toBe(202);
  });

  it('indexes by at most 96 bytes of the user id, the Analytics Engine limit', () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const recorder = createAnalyticsRecorder({ METRICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => points.push(p) } });
    recorder.connected!('websocket', 'u'.repeat(128));
    expect(points[0]!.indexes).toEqual(['u'.repeat(96)]);
  });

  it('writes one data point per Web Push attempt, with its outcome and the push service\'s answer', () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const recorder = createAnalyticsRecorder({ METRICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => points.push(p) } });
    recorder.pushed!({ userId: 'john', item: 3, status: 410, outcome: 'subscription_gone', attempts: 1 });
    recorder.pushed!({ userId: 'john', item: 3, status: null, outcome: 'retrying', attempts: 1 });
    expect(points).toEqual([
      { indexes: ['john'], blobs: ['push', 'subscription_gone'], doubles: [1, 410] },
      { indexes: ['john'], blobs: ['push', 'retrying'], doubles: [1, 0] },
    ]);
  });
});
