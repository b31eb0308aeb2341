// What a host reports about its traffic: stream connects and disconnects,
// publishes, and refused requests. The logging observer writes each as one
// log line and hands it on to the host's counters (Prometheus on standalone
// hosts, Analytics Engine on Cloudflare).

import type { StreamTransport } from '../actor/ports.ts';
import { log } from './log.ts';

export interface PublishObservation {
  userId: string;
  /** The event's id; null for a job update that changed nothing. */
  eventId: string | null;
  /** Live connections the event was written to (the first answer's, for a duplicate). */
  delivered: number;
  /** A repeated webhook-id, answered from the dedupe record: nothing stored or delivered. */
  duplicate: boolean;
  /** Present for job updates. */
  jobId?: string;
}

export interface RejectObservation {
  status: number;
  code: string;
  /** The matched route template (`/v1/users/:userId/events`), or null when no route matched. */
  route: string | null;
  method: string;
  /** The request path with credentials in its query string redacted. */
  path: string;
}

/** One attempt to Web Push an inbox item to one subscription, and what came of it. */
export interface PushObservation {
  userId: string;
  item: number;
  /** The push service's answer; null when none came (or the push was skipped). */
  status: number | null;
  outcome: 'sent' | 'skipped' | 'subscription_gone' | 'shrinking' | 'retrying' | 'given_up' | 'refused';
  attempts: number;
}

export interface HubObserver {
  connected(transport: StreamTransport, userId: string): void;
  disconnected(transport: StreamTransport, userId: string, durationMs?: number): void;
  published(publish: PublishObservation): void;
  rejected(reject: RejectObservation): void;
  pushed(push: PushObservation): void;
}

const noop = () => {};

/** Observes nothing: for hosts assembled in tests. */
export const SILENT_OBSERVER: HubObserver = { connected: noop, disconnected: noop, published: noop, rejected: noop, pushed: noop };

/** Logs every observation, then passes it to `counters` (whichever of its methods it has). */
export function createLoggingObserver(counters: Partial<HubObserver> = {}): HubObserver {
  const next = {
    connected: counters.connected?.bind(counters) ?? noop,
    disconnected: counters.disconnected?.bind(counters) ?? noop,
    published: counters.published?.bind(counters) ?? noop,
    rejected: counters.rejected?.bind(counters) ?? noop,
    pushed: counters.pushed?.bind(counters) ?? noop,
  };
  const summary = new PublishSummary();
  return {
    connected(transport, userId) {
      log.info('connect', { transport, userId });
      next.connected(transport, userId);
    },
    disconnected(transport, userId, durationMs) {
      log.info('disconnect', { transport, userId, durationMs });
      next.disconnected(transport, userId, durationMs);
    },
    published(publish) {
      log.debug('publish', {
        userId: publish.userId,
        eventId: publish.eventId,
        delivered: publish.delivered,
        duplicate: publish.duplicate,
        jobId: publish.jobId,
      });
      summary.add(publish);
      next.published(publish);
    },
    rejected(reject) {
      log[reject.status >= 500 ? 'error' : 'warn']('reject', { ...reject });
      next.rejected(reject);
    },
    pushed(push) {
      log[push.outcome === 'given_up' || push.outcome === 'refused' ? 'warn' : 'info']('push', { ...push });
      next.pushed(push);
    },
  };
}

/**
 * Publishes are counted, not logged one by one, at `info`: a line per publish
 * was a sixth of a standalone host's CPU at a few thousand a second. The
 * `publishes` line sums those since the last one, at most once every
 * SUMMARY_MS, written by the first publish after that (so a quiet service
 * writes none); LOG_LEVEL=debug writes each one as `publish` too.
 */
const SUMMARY_MS = 10_000;

class PublishSummary {
  #since = Date.now();
  #count = 0;
  #delivered = 0;
  #duplicates = 0;
  #jobUpdates = 0;

  add(publish: PublishObservation, now = Date.now()): void {
    this.#count++;
    this.#delivered += publish.delivered;
    if (publish.duplicate) this.#duplicates++;
    if (publish.jobId !== undefined) this.#jobUpdates++;
    if (now - this.#since < SUMMARY_MS) return;
    log.info('publishes', {
      count: this.#count,
      delivered: this.#delivered,
      duplicates: this.#duplicates,
      jobUpdates: this.#jobUpdates,
      seconds: Math.round((now - this.#since) / 1000),
    });
    this.#since = now;
    this.#count = this.#delivered = this.#duplicates = this.#jobUpdates = 0;
  }
}
