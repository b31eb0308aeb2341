// waitForJob: the final state of one job, from a pushed event when one
// arrives, otherwise by long polling the job.

import type { HubEvent } from './frames.ts';
import { endpoint } from './transports/transport.ts';

export interface Job<Result = unknown> {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
  progress: number | null;
  result: Result | null;
  error: Record<string, unknown> | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface WaitForJobOptions {
  signal?: AbortSignal;
  /** Reject with a TimeoutError after this many ms. */
  timeout?: number;
}

interface WaitContext extends WaitForJobOptions {
  url: string;
  fetch: typeof fetch;
  token(refresh: boolean): Promise<string>;
  subscribe(listener: (event: HubEvent) => void): () => void;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const isFinal = (job: Job | null): boolean => job !== null && TERMINAL.has(job.status);
const POLL_WAIT_SECONDS = 25;

const abortError = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason : new DOMException('The wait was aborted.', 'AbortError');

export function waitForJob(jobId: string, context: WaitContext): Promise<Job> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  return new Promise<Job>((resolve, reject) => {
    const finish = (error: Error | null, job?: Job) => {
      unsubscribe();
      clearTimeout(timer);
      context.signal?.removeEventListener('abort', onAbort);
      stop();
      if (error) reject(error);
      else resolve(job!);
    };
    const onAbort = () => finish(abortError(context.signal!));
    if (context.signal?.aborted) return onAbort();
    context.signal?.addEventListener('abort', onAbort);
    const timer =
      context.timeout === undefined
        ? undefined
        : setTimeout(() => finish(new DOMException(`Job ${jobId} did not finish in time.`, 'TimeoutError')), context.timeout);
    const unsubscribe = context.subscribe((event) => {
      const job = event.data as Job | null;
      if (event.type.startsWith('job.') && job?.id === jobId && isFinal(job)) finish(null, job!);
    });

    (async () => {
      let version = -1;
      let refresh = false;
      while (!controller.signal.aborted) {
        // The first read answers at once; then long polls, which a pushed event may beat.
        const query = version < 0 ? { wait: '0' } : { wait: String(POLL_WAIT_SECONDS), version: String(version) };
        const response = await context.fetch(endpoint(context.url, `v1/jobs/${encodeURIComponent(jobId)}`, query), {
          headers: { Authorization: `Bearer ${await context.token(refresh)}` },
          signal: controller.signal,
        });
        if (response.status === 401 && !refresh) {
          refresh = true;
          continue;
        }
        refresh = false;
        if (response.status === 404) {
          version = 0; // not created yet: wait for it
          continue;
        }
        if (response.status === 410) throw new Error(`GET job ${jobId}: the service ended the session (session_ended)`);
        if (!response.ok) throw new Error(`GET job ${jobId}: ${response.status}`);
        const job = (await response.json()) as Job;
        if (isFinal(job)) return finish(null, job);
        version = job.version;
      }
    })().catch((err: unknown) => {
      if (!controller.signal.aborted) finish(err instanceof Error ? err : new Error(String(err)));
    });
  });
}
