// watchJob: a job's live state, from its first read through every change to
// the final one, for views that show progress (useJob in userhub/react).

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
 * forward, so a read that answers late never undoes a pushed change.
 * Returns a function that stops watching.
 */
export function watchJob(jobId: string, context: WatchContext, onChange: (job: Job | null) => void): () => void {
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
    for (const refresh of [false, true]) {
      const response = await context.fetch(endpoint(context.url, `v1/jobs/${encodeURIComponent(jobId)}`, {}), {
        headers: { Authorization: `Bearer ${await context.token(refresh)}` },
      });
      if (response.status === 401 && !refresh) continue;
      if (response.status === 404) return apply(null);
      if (response.ok) return apply((await response.json()) as Job);
      return;
    }
  })().catch(() => undefined);
  return () => {
    stopped = true;
    unsubscribe();
  };
}
