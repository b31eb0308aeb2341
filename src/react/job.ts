// useJob: a job's live state, from its first read through every change, with
// a read that failed reported instead of leaving the view waiting.

import { useCallback, useEffect, useState } from 'react';
import type { ClientError, HubClient, Job } from '../client/index.ts';
import { useRetryWhenOpen, type HubData } from './data.ts';
import { useProvidedHub } from './provider.ts';

/**
 * A job's live state through the client's watchJob: `data` undefined until
 * read, null while there is no such job (not an error: it may be created
 * later, and then it shows), then every change to the final state. A read
 * that fails sets `error` (and `loading` false); it is read again when the
 * connection next opens.
 *
 * @example
 * const { data: job, error } = useJob('zip-42');
 */
export function useJob(jobId: string): HubData<Job | null> {
  const hub = useProvidedHub('useJob()');
  const [state, setState] = useState<HubData<Job | null> & { hub: HubClient | null; jobId: string }>({ hub, jobId, data: undefined, loading: true, error: undefined });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!hub) return;
    // A retry keeps what it showed; another job, or another user's client, starts over.
    setState((last) => ({ hub, jobId, data: last.hub === hub && last.jobId === jobId ? last.data : undefined, loading: true, error: undefined }));
    return hub.watchJob(
      jobId,
      (job) => setState({ hub, jobId, data: job, loading: false, error: undefined }),
      (error: ClientError) => setState((last) => ({ ...last, loading: false, error })),
    );
  }, [hub, jobId, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  useRetryWhenOpen(hub, state.error !== undefined, retry);
  // Until the effect for this job and client has run, the state held is another's.
  if (state.hub !== hub || state.jobId !== jobId) return { data: undefined, loading: true, error: undefined };
  return { data: state.data, loading: state.loading, error: state.error };
}
