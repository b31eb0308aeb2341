// Counters on Cloudflare: one Workers Analytics Engine data point per connect,
// disconnect, publish, reject and Web Push attempt, written when a dataset is bound as METRICS
// (see wrangler.toml) and nothing at all when it is not. writeDataPoint does
// not block: the runtime sends the points after the response.
// https://developers.cloudflare.com/analytics/analytics-engine/get-started/

import type { Env } from '../core/config.ts';
import { log } from '../core/observability/log.ts';
import type { HubObserver } from '../core/observability/observer.ts';

/** The binding's name in wrangler.toml. */
export const METRICS_BINDING = 'METRICS';

/** Analytics Engine's limit on an index, in bytes; user ids are ASCII. */
const MAX_INDEX_BYTES = 96;

/** The part of AnalyticsEngineDataset used here. */
interface Dataset {
  writeDataPoint(point: AnalyticsEngineDataPoint): void;
}

function datasetOf(env: Env): Dataset | undefined {
  const binding = env[METRICS_BINDING] as Partial<Dataset> | undefined;
  return typeof binding?.writeDataPoint === 'function' ? (binding as Dataset) : undefined;
}

/**
 * Data points, positional as Analytics Engine stores them:
 * blob1 the kind (connect, disconnect, publish, reject, push); blob2 the
 * transport, `event`/`job`/`duplicate` for a publish, the error code, or a
 * push's outcome; blob3 the route of a reject; double1 the count (1; 0 for a
 * duplicate publish); double2 the connections delivered to, a reject's
 * status, or the push service's answer (0: none); index1 the user id (the
 * error code for a reject), which Analytics Engine samples by.
 */
export function createAnalyticsRecorder(env: Env): Partial<HubObserver> {
  const write = (point: AnalyticsEngineDataPoint) => {
    const dataset = datasetOf(env);
    if (!dataset) return;
    try {
      dataset.writeDataPoint(point);
    } catch (err) {
      // Counting must never fail a request.
      log.warn('metrics_write_failed', { error: String(err) });
    }
  };
  const index = (value: string) => [value.slice(0, MAX_INDEX_BYTES)];
  return {
    connected: (transport, userId) => write({ indexes: index(userId), blobs: ['connect', transport], doubles: [1] }),
    disconnected: (transport, userId) =>
      write({ indexes: index(userId), blobs: ['disconnect', transport], doubles: [1] }),
    published: (publish) =>
      write({
        indexes: index(publish.userId),
        blobs: ['publish', publish.duplicate ? 'duplicate' : publish.jobId === undefined ? 'event' : 'job'],
        doubles: [publish.duplicate || publish.eventId === null ? 0 : 1, publish.duplicate ? 0 : publish.delivered],
      }),
    rejected: (reject) =>
      write({
        indexes: index(reject.code),
        blobs: ['reject', reject.code, reject.route ?? ''],
        doubles: [1, reject.status],
      }),
    pushed: (push) =>
      write({ indexes: index(push.userId), blobs: ['push', push.outcome], doubles: [1, push.status ?? 0] }),
  };
}
