// watchJob: a job's live state, from its first read through every change to
// the final one, for views that show progress (useJob in userhub/react).

import { answerFailure, asClientError, ClientFailure, UNREACHABLE, type ClientError } from './errors.ts';
import type { HubEvent } from './frames.ts';
import { endpoint } from './transports/transport.ts';
import type { Job } from './wait-for-job.ts';

interface WatchContext {
  url: string;
  fetch: typeof fetch;
  token(refresh: boolean): Promise<string>;
  subscribe(listener: (event: HubEvent) => void): () => void;
}

/**
 * Calls `onChange` with the job as it is now (null: no such job yet), then
 * with each newer version pushed on the user's stream. Versions only move
 * forward, so a read that answers late never undoes a pushed change. A read
 * that fails (no answer, the origin or the token refused) goes to `onError`;
 * pushed changes still come. Returns a function that stops watching.
 */
export function watchJob(jobId: string, context: WatchContext, onChange: (job: Job | null) => void, onError?: (error: ClientError) => void): () => void {
  let version = -1;
  let stopped = false;
  const apply = (job: Job | null) => {
    if (stopped) return;
    if (job === null) {
      if (version < 0) onChange(null);
      return;
    }
    if (job.version <= version) return;
    version = job.version;
    onChange(job);
  };
  // Listen first, then read: no change can fall between the two.
  const unsubscribe = context.subscribe((event) => {
    const job = event.data as Job | null;
    if (event.type.startsWith('job.') && job?.id === jobId) apply(job);
  });
  void (async () => {
    const path = `v1/jobs/${encodeURIComponent(jobId)}`;
    for (const refresh of [false, true]) {
      const token = await context.token(refresh);
      const response = await context
        // missing=null: "no job yet" as 200 null, not a 404 the browser logs as an error (a 404 from an older service still means none).
        .fetch(endpoint(context.url, path, { missing: 'null' }), { headers: { Authorization: `Bearer ${token}` } })
        .catch(() => Promise.reject(new ClientFailure(UNREACHABLE)));
      if (response.status === 401 && !refresh) continue;
      if (response.status === 404) return apply(null);
      if (!response.ok) throw answerFailure(response, `GET /${path}`);
      return apply((await response.json()) as Job | null);
    }
  })().catch((err: unknown) => {
    // A version already shown is newer than anything the failed read could have said.
    if (!stopped && version < 0) onError?.(asClientError(err));
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
