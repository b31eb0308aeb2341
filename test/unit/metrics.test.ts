import { DatabaseSync } from 'node:sqlite';
import { json } from '../helpers/wire.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { HubError } from '../../src/core/errors.ts';
import { PollSink } from '../../src/core/transports/poll.ts';
import { SseSink } from '../../src/core/transports/sse.ts';
import { ActorDirectory, sqliteStorage } from '../../src/standalone/actor-directory.ts';
import { StandaloneBackend } from '../../src/standalone/backend.ts';
import {
  isMetricsRequest,
  metricsAccess,
  renderMetrics,
  serveMetrics,
  StandaloneCounters,
} from '../../src/standalone/metrics.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';

const directories: ActorDirectory[] = [];
afterEach(() => directories.splice(0).forEach((d) => d.close()));

async function directory() {
  const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
  configure(db);
  const actors = new ActorDirectory(sqliteStorage(createSqliteStore(db)), { limits: DEFAULT_LIMITS, idleMs: 60_000, alarmTickMs: 60_000 });
  await actors.ready;
  directories.push(actors);
  return actors;
}

const statusOf = (fn: () => unknown): number => {
  try {
    fn();
    return 200;
  } catch (err) {
    return (err as HubError).status;
  }
};

describe('GET /metrics access', () => {
  it('is open on loopback, needs the token when METRICS_TOKEN is set, and is off elsewhere without one', async () => {
    expect(metricsAccess(undefined, '127.0.0.1')).toEqual({ mode: 'open' });
    expect(metricsAccess(undefined, '::1')).toEqual({ mode: 'open' });
    expect(metricsAccess(undefined, '0.0.0.0')).toEqual({ mode: 'disabled' });
    expect(metricsAccess('t0k', '0.0.0.0')).toEqual({ mode: 'token', token: 't0k' });

    const render = () => 'x';
    const get = (headers: Record<string, string> = {}) => new Request('http://127.0.0.1:8787/metrics', { headers });
    expect(statusOf(() => serveMetrics(get(), { mode: 'open' }, render))).toBe(200);
    expect(statusOf(() => serveMetrics(get({ Host: 'localhost:8787' }), { mode: 'open' }, render))).toBe(200);
    // DNS rebinding: a page at evil.example, rebound to 127.0.0.1, sends its own name.
    expect(statusOf(() => serveMetrics(get({ Host: 'evil.example:8787' }), { mode: 'open' }, render))).toBe(403);
    expect(statusOf(() => serveMetrics(new Request('http://evil.example:8787/metrics'), { mode: 'open' }, render))).toBe(403);
    expect(statusOf(() => serveMetrics(get({ Host: 'evil.example:8787', Authorization: 'Bearer t0k' }), { mode: 'token', token: 't0k' }, render))).toBe(200);
    expect(statusOf(() => serveMetrics(get(), { mode: 'disabled' }, render))).toBe(404);
    const token = { mode: 'token', token: 't0k' } as const;
    expect(statusOf(() => serveMetrics(get(), token, render))).toBe(401);
    expect(statusOf(() => serveMetrics(get({ Authorization: 'Bearer t0kk' }), token, render))).toBe(401);
    expect(statusOf(() => serveMetrics(get({ Authorization: 'Bearer t0k' }), token, render))).toBe(200);
    expect(statusOf(() => serveMetrics(new Request('http://127.0.0.1/metrics', { method: 'POST' }), { mode: 'open' }, render))).toBe(405);
  });

  it('recognises the path exactly, with or without a query', async () => {
    expect(isMetricsRequest('http://127.0.0.1:8787/metrics')).toBe(true);
    expect(isMetricsRequest('http://127.0.0.1:8787/metrics?x=1')).toBe(true);
    expect(isMetricsRequest('http://127.0.0.1:8787/metricsx')).toBe(false);
    expect(isMetricsRequest('http://127.0.0.1:8787/v1/metrics')).toBe(false);
    expect(isMetricsRequest('http://127.0.0.1:8787/v1/events?next=/metrics')).toBe(false);
  });
});

describe('Prometheus text', () => {
  it('reports live connections and waiters from the actors, and the counters', async () => {
    const actors = await directory();
    const backend = new StandaloneBackend(actors, () => new Response(null));
    const abort = new AbortController();
    const sse = new SseSink({ heartbeatMs: 60_000, retryMs: 1000, maxStreamMs: 0 }, abort.signal);
    sse.linked(await backend.open('a', sse, { credential: { userId: 'a', expiresAt: 4e9, issuedAt: 0 } }));
    const poll = new PollSink('poll', 60_000, new AbortController().signal);
    poll.linked(await backend.open('b', poll, { after: 0, replayLimit: 100, credential: { userId: 'b', expiresAt: 4e9, issuedAt: 0 } }));

    const counters = new StandaloneCounters();
    counters.connected('sse');
    counters.published({ userId: 'b', eventId: '1', delivered: 1, duplicate: false });
    counters.published({ userId: 'b', eventId: '1', delivered: 1, duplicate: true });
    counters.published({ userId: 'b', eventId: null, delivered: 0, duplicate: false, jobId: 'j' });
    counters.rejected({ status: 401, code: 'unauthorized', route: null, method: 'GET', path: '/' });
    counters.rejected({ status: 401, code: 'unauthorized', route: null, method: 'GET', path: '/' });
    counters.rejected({ status: 429, code: 'rate_limited', route: null, method: 'POST', path: '/' });

    const text = renderMetrics(counters, actors);
    expect(text.endsWith('\n')).toBe(true);
    for (const line of [
      '# TYPE userhub_connections gauge',
      'userhub_connections{transport="sse"} 1',
      'userhub_connections{transport="websocket"} 0',
      '# TYPE userhub_connections_opened_total counter',
      'userhub_connections_opened_total{transport="sse"} 1',
      '# TYPE userhub_long_poll_waiters gauge',
      'userhub_long_poll_waiters{kind="events"} 1',
      'userhub_long_poll_waiters{kind="job"} 0',
      '# TYPE userhub_actors gauge',
      'userhub_actors 2',
      '# TYPE userhub_events_published_total counter',
      'userhub_events_published_total 1',
      'userhub_events_delivered_total 1',
      'userhub_publishes_duplicate_total 1',
      '# TYPE userhub_rejects_total counter',
      'userhub_rejects_total{code="unauthorized",status="401"} 2',
      'userhub_rejects_total{code="rate_limited",status="429"} 1',
    ]) {
      expect(text.split('\n')).toContain(line);
    }

    abort.abort();
    await sse.body.cancel();
    await backend.actor('b').publish({ type: 't', data: json('1'), webhookId: 'w1' });
    expect((await poll.done).map((item) => item.kind)).toEqual(['ready', 'event']);
    const after = renderMetrics(counters, actors);
    expect(after).toContain('userhub_connections{transport="sse"} 0');
    expect(after).toContain('userhub_long_poll_waiters{kind="events"} 0');
  });
});
