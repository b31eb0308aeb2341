// Jobs as first-class state in a user's actor: the rules of a job's life
// (upsert, version, terminal states are final) and its storage.

import { HubError } from '../errors.ts';
import { JOB_STATUSES, TERMINAL_STATUSES, type JobStatus } from '../../protocol/wire.ts';
import { encode, raw, type JsonText } from '../json.ts';
import { OwnedRows } from './ports.ts';

export interface JobUpdate {
  status: JobStatus;
  progress?: number;
  /** JSON text, for succeeded jobs. */
  result?: JsonText;
  /** JSON text, for failed or canceled jobs. */
  error?: JsonText;
}

interface JobRow {
  id: string;
  status: JobStatus;
  progress: number | null;
  result: JsonText | null;
  error: JsonText | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** What a change to a job means: the row to write and the notification to emit. */
export type JobChange =
  | { kind: 'unchanged'; job: StoredJob }
  | { kind: 'changed'; job: StoredJob; created: boolean; eventType: string };

/** A job row with its JSON rendered once. */
export class StoredJob {
  readonly row: JobRow;
  #json?: JsonText;

  constructor(row: JobRow) {
    this.row = row;
  }

  get json(): JsonText {
    const r = this.row;
    return (this.#json ??= encode({
      id: r.id,
      status: r.status,
      progress: r.progress,
      result: raw(r.result),
      error: raw(r.error),
      version: r.version,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    }));
  }

}

const COLUMNS = 'id, status, progress, result, error, version, created_at, updated_at';

/**
 * One user's jobs in the shared `jobs` table. Versions never go backwards: a
 * job pruned (or erased) and created again starts above every version its
 * namesake reached (the `job_version_floor` meta row), so a client holding an
 * old version never mistakes the new job for one it has seen.
 */
export class JobStore extends OwnedRows {
  /** Highest version of any job forgotten so far; read when a job is first created or forgotten. */
  #loadedFloor: number | undefined;

  /** Kept between calls only where nothing else writes the store (SqlStore.singleWriter). */
  async #floor(): Promise<number> {
    if (!this.sql.singleWriter) this.#loadedFloor = undefined;
    this.#loadedFloor ??= (await this.sql.all<{ value: number }>(`SELECT value FROM meta WHERE owner = ? AND key = 'job_version_floor'`, this.owner))[0]?.value ?? 0;
    return this.#loadedFloor;
  }

  async get(id: string): Promise<StoredJob | null> {
    const row = (await this.sql.all<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE owner = ? AND id = ?`, this.owner, id))[0];
    return row ? new StoredJob(row) : null;
  }

  /** Newest first, optionally of one status. */
  async list(status: JobStatus | undefined, limit: number): Promise<StoredJob[]> {
    const rows = status
      ? (await this.sql.all<JobRow>(
          `SELECT ${COLUMNS} FROM jobs WHERE owner = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
          this.owner,
          status,
          limit,
        ))
      : (await this.sql.all<JobRow>(
          `SELECT ${COLUMNS} FROM jobs WHERE owner = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
          this.owner,
          limit,
        ));
    return rows.map((row) => new StoredJob(row));
  }

  /** Jobs kept, by status (every status present, zero when none). */
  async countByStatus(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    const rows = (await this.sql.all<{ status: JobStatus; n: number }>(
      `SELECT status, count(*) AS n FROM jobs WHERE owner = ? GROUP BY status`,
      this.owner,
    ));
    for (const { status, n } of rows) counts[status] = n;
    return counts;
  }

  /** When the least recently updated job was last updated, if any. */
  async oldestUpdate(): Promise<number | null> {
    return (
      (await this.sql.all<{ t: number | null }>(`SELECT min(updated_at) AS t FROM jobs WHERE owner = ?`, this.owner))[0]?.t ??
      null
    );
  }

  /**
   * Decides what an update does to a job, without writing. Throws 409 when it
   * would change a job that already reached a terminal state.
   */
  async plan(id: string, update: JobUpdate, now: number): Promise<JobChange> {
    const current = (await this.get(id))?.row;
    const next: JobRow = {
      id,
      status: update.status,
      // A succeeded job is complete, whatever progress was last reported.
      progress: update.progress ?? (update.status === 'succeeded' ? 1 : (current?.progress ?? null)),
      result: update.result ?? (update.status === current?.status ? current.result : null),
      error: update.error ?? (update.status === current?.status ? current.error : null),
      version: (current?.version ?? (await this.#floor())) + 1,
      created_at: current?.created_at ?? now,
      updated_at: now,
    };
    if (current) {
      const same =
        next.status === current.status &&
        next.progress === current.progress &&
        next.result === current.result &&
        next.error === current.error;
      if (same) return { kind: 'unchanged', job: new StoredJob(current) };
      if (TERMINAL_STATUSES.has(current.status)) {
        throw new HubError('job_final',
          `Job "${id}" is already ${current.status}; a finished job never changes.`,
        );
      }
    }
    const eventType =
      current?.status === 'running' && next.status === 'running' ? 'job.progress' : `job.${next.status}`;
    return { kind: 'changed', job: new StoredJob(next), created: !current, eventType };
  }

  /**
   * Forgets jobs not updated since `before` (whatever their state: a job
   * nobody moved for that long is abandoned), and finished jobs beyond the
   * newest `keep` finished ones. A running job is never dropped for the count.
   */
  async prune(before: number, keep: number): Promise<void> {
    const terminal = [...TERMINAL_STATUSES].map((status) => `'${status}'`).join(', ');
    await this.#forget(`updated_at <= ?`, before);
    await this.#forget(
      `status IN (${terminal}) AND id IN (
         SELECT id FROM jobs WHERE owner = ? AND status IN (${terminal}) ORDER BY updated_at DESC LIMIT -1 OFFSET ?)`,
      this.owner,
      keep,
    );
  }

  /** Forgets every job of this user; versions go on from above the highest. */
  async erase(): Promise<number> {
    const count = (await this.sql.all<{ n: number }>(`SELECT count(*) AS n FROM jobs WHERE owner = ?`, this.owner))[0]?.n ?? 0;
    await this.#forget('1 = 1');
    return count;
  }

  /** Deletes the jobs matching `where` (its parameters follow the owner), raising the version floor past them first. */
  async #forget(where: string, ...params: Array<string | number>): Promise<void> {
    const top = (await this.sql.all<{ v: number | null }>(`SELECT max(version) AS v FROM jobs WHERE owner = ? AND ${where}`, this.owner, ...params))[0]?.v;
    if (top === null || top === undefined) return;
    if (top > (await this.#floor())) {
      this.#loadedFloor = top;
      await this.sql.run(
        `INSERT INTO meta (owner, key, value) VALUES (?, 'job_version_floor', ?) ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`,
        this.owner,
        top,
      );
    }
    await this.sql.run(`DELETE FROM jobs WHERE owner = ? AND ${where}`, this.owner, ...params);
  }

  async write(job: StoredJob): Promise<void> {
    const r = job.row;
    await this.sql.run(
      `INSERT INTO jobs (owner, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (owner, id) DO UPDATE SET status = excluded.status, progress = excluded.progress,
         result = excluded.result, error = excluded.error, version = excluded.version,
         updated_at = excluded.updated_at`,
      this.owner,
      r.id,
      r.status,
      r.progress,
      r.result,
      r.error,
      r.version,
      r.created_at,
      r.updated_at,
    );
  }
}
