// GET /metrics on the standalone hosts, in the Prometheus text format (0.0.4).
// Counters are plain integers bumped by the observer; gauges are read from the
// actor directory when scraped, so the publish path pays a few increments.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

import { timingSafeEqual } from 'node:crypto';
import { STREAM_TRANSPORTS, TRANSPORTS, type StreamTransport, type Transport } from '../core/actor/ports.ts';
import { HubError, unauthorized } from '../core/errors.ts';
import type { HubObserver, PublishObservation, PushObservation, RejectObservation } from '../core/observability/observer.ts';
import type { ActorDirectory } from './actor-directory.ts';
import { isLoopbackName, parseHostHeader, requestPath } from './host-header.ts';

export const METRICS_PATH = '/metrics';

/** Who may read /metrics: anyone (loopback only), holders of a token, or nobody. */
export type MetricsAccess = { mode: 'open' } | { mode: 'token'; token: string } | { mode: 'disabled' };

/**
 * METRICS_TOKEN set: a Bearer token is required. Unset: served only when the
 * host listens on a loopback address, where only this machine can scrape it.
 */
export function metricsAccess(metricsToken: string | undefined, host: string): MetricsAccess {
  if (metricsToken) return { mode: 'token', token: metricsToken };
  return isLoopbackName(host.toLowerCase()) ? { mode: 'open' } : { mode: 'disabled' };
}

/** The counters, fed by the logging observer. */
export class StandaloneCounters implements Partial<HubObserver> {
  readonly opened: Record<StreamTransport, number> = Object.fromEntries(STREAM_TRANSPORTS.map((t) => [t, 0])) as Record<StreamTransport, number>;
  eventsPublished = 0;
  eventsDelivered = 0;
  duplicatePublishes = 0;
  /** Rejects by "status code" pair. */
  readonly rejects = new Map<string, number>();
  /** Web Push attempts by outcome. */
  readonly pushes = new Map<string, number>();

  pushed(push: PushObservation): void {
    this.pushes.set(push.outcome, (this.pushes.get(push.outcome) ?? 0) + 1);
  }

  connected(transport: StreamTransport): void {
    this.opened[transport]++;
  }

  published(publish: PublishObservation): void {
    if (publish.duplicate) {
      this.duplicatePublishes++;
    } else if (publish.eventId !== null) {
      this.eventsPublished++;
      this.eventsDelivered += publish.delivered;
    }
  }

  rejected(reject: RejectObservation): void {
    const key = `${reject.status} ${reject.code}`;
    this.rejects.set(key, (this.rejects.get(key) ?? 0) + 1);
  }
}

/** Label values escaped as the text format asks (backslash, quote, newline). */
const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Every metric, as the text a scrape receives. */
/** A cluster node's Redis traffic (cluster.ts): messages it published, and how many subscribed nodes Redis handed them to. */
export interface ClusterTraffic {
  published: number;
  receivers: number;
}

export function renderMetrics(counters: StandaloneCounters, actors: ActorDirectory, cluster?: ClusterTraffic): string {
  const live = Object.fromEntries(TRANSPORTS.map((t) => [t, 0])) as Record<Transport, number>;
  for (const actor of actors.all()) for (const transport of TRANSPORTS) live[transport] += actor.connections.count(transport);
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('userhub_connections', 'gauge', 'Open streaming connections, by transport.', [
    ...STREAM_TRANSPORTS.map((t): [string, number] => [`{transport="${t}"}`, live[t]]),
  ]);
  metric('userhub_connections_opened_total', 'counter', 'Streaming connections accepted, by transport.', [
    ...STREAM_TRANSPORTS.map((t): [string, number] => [`{transport="${t}"}`, counters.opened[t]]),
  ]);
  metric('userhub_long_poll_waiters', 'gauge', 'Parked long polls: on the event log, or on one job.', [
    ['{kind="events"}', live.poll],
    ['{kind="job"}', live.job],
  ]);
  metric('userhub_actors', 'gauge', 'User actors in memory.', [['', actors.size]]);
  metric('userhub_events_published_total', 'counter', 'Events appended to a user log (publishes and job changes).', [['', counters.eventsPublished]]);
  metric('userhub_events_delivered_total', 'counter', 'Event frames written to live connections.', [['', counters.eventsDelivered]]);
  metric('userhub_publishes_duplicate_total', 'counter', 'Publishes answered from the dedupe record.', [['', counters.duplicatePublishes]]);
  metric(
    'userhub_rejects_total',
    'counter',
    'Requests refused, by status and error code.',
    [...counters.rejects].map(([key, value]) => {
      const [status, code] = key.split(' ') as [string, string];
      return [`{code="${label(code)}",status="${status}"}`, value];
    }),
  );
  metric(
    'userhub_pushes_total',
    'counter',
    'Web Push attempts, by outcome (sent, retrying, subscription_gone, shrinking, given_up, refused, skipped).',
    [...counters.pushes].map(([outcome, value]) => [`{outcome="${label(outcome)}"}`, value]),
  );
  if (cluster) {
    metric('userhub_cluster_messages_total', 'counter', 'Messages this node published to its users\' channels (one per commit of a user with connections anywhere).', [['', cluster.published]]);
    metric('userhub_cluster_message_receivers_total', 'counter', 'Nodes Redis handed those messages to: only nodes holding the user\'s connections, this one included when it holds some.', [['', cluster.receivers]]);
  }
  return `${lines.join('\n')}\n`;
}

/** True when the request is for /metrics (string checks only: every request passes here). */
export function isMetricsRequest(url: string): boolean {
  return requestPath(url) === METRICS_PATH;
}

function tokenMatches(header: string | null, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = new TextEncoder().encode(match[1]);
  const expected = new TextEncoder().encode(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** GET /metrics for one host: the text, or a refusal reported to the observer like any other. */
export function createMetricsEndpoint(access: MetricsAccess, counters: StandaloneCounters, actors: ActorDirectory, observer: HubObserver, cluster?: ClusterTraffic) {
  return (request: Request): Response => {
    try {
      return serveMetrics(request, access, () => renderMetrics(counters, actors, cluster));
    } catch (err) {
      if (!(err instanceof HubError)) throw err;
      const { status, code } = err;
      observer.rejected({ status, code, route: METRICS_PATH, method: request.method, path: METRICS_PATH });
      return err.toResponse();
    }
  };
}

/** Answers GET /metrics, or the refusal (thrown as a HubError) its access rule gives. */
export function serveMetrics(request: Request, access: MetricsAccess, render: () => string): Response {
  if (access.mode === 'disabled') throw new HubError('not_found', 'No such route.');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HubError('method_not_allowed', 'Use GET on this route.', { headers: { Allow: 'GET, HEAD' } });
  }
  if (access.mode === 'token' && !tokenMatches(request.headers.get('Authorization'), access.token)) {
    throw unauthorized();
  }
  // Open on loopback only for requests addressed to a loopback name: a page whose
  // own name was rebound to 127.0.0.1 (DNS rebinding) sends its own name as Host.
  const host = request.headers.get('Host') ?? new URL(request.url).host;
  if (access.mode === 'open' && !isLoopbackName(parseHostHeader(host)?.hostname ?? '')) {
    throw new HubError('forbidden_host', 'GET /metrics without METRICS_TOKEN answers only requests addressed to a loopback name.');
  }
  return new Response(request.method === 'HEAD' ? null : render(), {
    headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
