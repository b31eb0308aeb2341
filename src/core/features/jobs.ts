// Jobs: a publisher's long-running work as a versioned record per job id,
// each change announced as a `job.<status>` event, and job long polls parked
// on one job until it changes.

import type { Credential } from '../auth/client-token.ts';
import { badRequest } from '../errors.ts';
import { isJobId, JOB_STATUSES, type JobStatus } from '../../protocol/wire.ts';
import type { IdempotencyKey } from '../actor/dedupe.ts';
import type { Feature } from '../actor/feature.ts';
import { JobMessage, JobSnapshot } from '../actor/frames.ts';
import type { JobUpdate, StoredJob } from '../actor/jobs.ts';
import type { Kernel } from '../actor/kernel.ts';
import { EVENTS, jobTag, type Connection } from '../actor/ports.ts';
import { checkData, spendPublishBudget } from './events.ts';
import type { JsonText } from '../json.ts';
import { jobStore } from './parts.ts';
import { receivers } from '../actor/relay.ts';

export interface JobUpdateResult {
  /** The job as JSON text. */
  job: JsonText;
  created: boolean;
  /** The notification this change emitted; null when nothing changed. */
  eventId: string | null;
  delivered: number;
  duplicate?: true;
}

/**
 * Applies a job update: upsert, bump the version, and emit one notification
 * (`job.<status>`, or `job.progress` while running) whose data is the job.
 * Throws 409 for a change to a job in a terminal state; nothing is written then.
 */
export async function updateJob(k: Kernel, jobId: string, update: JobUpdate, idempotency: IdempotencyKey, now: number): Promise<JobUpdateResult> {
  if (!isJobId(jobId) || !(JOB_STATUSES as readonly string[]).includes(update.status)) throw badRequest('A job update names a job id and a job status.');
  for (const text of [update.result, update.error]) if (text !== undefined) checkData(k, text);
  const jobs = jobStore(k);
  let changed: StoredJob | undefined;
  const result = (await k.once<JobUpdateResult>(idempotency, now, async () => {
    const change = (await jobs.plan(jobId, update, now));
    if (change.kind === 'unchanged') return { result: { job: change.job.json, created: false, eventId: null, delivered: 0 } };
    // Only a change that emits an event counts against the rate; a refused or empty one does not.
    await spendPublishBudget(k, now);
    await jobs.write((changed = change.job));
    const event = await k.insertEvent(change.eventType, change.job.json, now);
    const delivered = await receivers(k);
    return { result: { job: change.job.json, created: change.created, eventId: String(event.row.id), delivered }, event };
  }));
  if (changed) {
    k.sendLive(k.connections.tagged(jobTag(jobId)), new JobMessage(changed.json));
    k.options.peers?.job(jobId, changed.json);
  }
  return result;
}

/** The job's JSON; with a client's credential, 401 when it is revoked. */
export async function getJob(k: Kernel, jobId: string, credential?: Credential): Promise<JsonText | null> {
  await k.refuseRevoked(credential);
  return (await jobStore(k).get(jobId))?.json ?? null;
}

/** Job JSON texts, newest first. */
export async function listJobs(k: Kernel, status: JobStatus | undefined, limit: number, credential?: Credential): Promise<JsonText[]> {
  await k.refuseRevoked(credential);
  return (await jobStore(k).list(status, limit)).map((job) => job.json);
}

/**
 * A parked job long poll: answered at once when the job's version is already
 * above `version`, otherwise by the next change of that job.
 */
async function watchJob(k: Kernel, connection: Connection, jobId: string, version: number | undefined): Promise<void> {
  const job = await jobStore(k).get(jobId);
  // Without a version, the poll waits for the next change after the current one.
  const since = version ?? job?.row.version ?? 0;
  if (job && job.row.version > since) k.send(connection, new JobMessage(job.json));
  else k.send(connection, new JobSnapshot(job?.json ?? null));
}

export const jobs: Feature<Kernel> = {
  async opened(k, connection, options) {
    if (!options.job) return false;
    await watchJob(k, connection, options.job.id, options.job.version);
    return true;
  },
  /** Jobs not updated within the retention age go, the newest RETENTION_MAX_EVENTS kept at most. */
  async prune(k, now) {
    const maxAge = k.limits.retentionMaxAgeSeconds * 1000;
    const store = jobStore(k);
    await store.prune(now - maxAge, k.limits.retentionMaxEvents);
    return ((await store.oldestUpdate()) ?? Infinity) + maxAge;
  },
  erase: async (k) => ({ jobs: (await jobStore(k).erase()) }),
  stats: async (k) => ({ jobs: (await jobStore(k).countByStatus()) }),
};
