// watchJob's first read, as the application is told of it: a job that does
// not exist yet is a value (null), a read that fails is an error handed to
// onError (it used to be swallowed, and a view waited for ever).

import { describe, expect, it } from 'vitest';
import type { ClientError, HubEvent, Job } from '../../src/client/index.ts';
import { TokenRefused } from '../../src/client/api.ts';
import { watchJob } from '../../src/client/watch-job.ts';

const JOB: Job = { id: 'zip-1', status: 'running', progress: 0.5, result: null, error: null, version: 2, createdAt: '2026-12-08T00:00:00.000Z', updatedAt: '2026-12-08T00:00:00.000Z' } as Job;

/** watchJob against a fetch that answers `answer` (or throws it), until the first thing it reports. */
function watch(answer: (refresh: boolean, url: string) => Response | Error, token?: (refresh: boolean) => Promise<string>) {
  const listeners = new Set<(event: HubEvent) => void>();
  let refresh = false;
  const reported: Array<{ job: Job | null } | { error: ClientError }> = [];
  const done = new Promise<void>((resolve) => {
    watchJob(
      'zip-1',
      {
        url: 'http://hub.test',
        fetch: async (input, init) => {
          refresh = (init?.headers as Record<string, string>).Authorization === 'Bearer fresh';
          const result = answer(refresh, String(input));
          if (result instanceof Error) throw result;
          return result;
        },
        token: token ?? (async (fresh) => (fresh ? 'fresh' : 'stale')),
        subscribe: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
      },
      (job) => (reported.push({ job }), resolve()),
      (error) => (reported.push({ error }), resolve()),
    );
  });
  return done.then(() => reported);
}

describe('watchJob reports its first read', () => {
  it('hands over null, not an error, for a job that does not exist yet', async () => {
    expect(await watch(() => Response.json(null))).toEqual([{ job: null }]);
    // A service from before missing=null answers 404: the same.
    expect(await watch(() => new Response('{"error":{"code":"job_not_found"}}', { status: 404 }))).toEqual([{ job: null }]);
  });

  it('asks for "no such job" as 200 null, which a browser does not log as a failed request', async () => {
    const asked: string[] = [];
    await watch((_, url) => (asked.push(url), Response.json(null)));
    expect(asked.map((url) => new URL(url).search)).toEqual(['?missing=null']);
  });

  it('hands over the job it read, after refreshing a refused token once', async () => {
    expect(await watch((fresh) => (fresh ? Response.json(JOB) : new Response('{}', { status: 401 })))).toEqual([{ job: JOB }]);
  });

  it('reports a fetch that threw (no answer, or a CORS refusal) as network', async () => {
    expect(await watch(() => new TypeError('Failed to fetch'))).toEqual([{ error: expect.objectContaining({ code: 'network', message: expect.stringContaining('ALLOWED_ORIGINS') }) }]);
  });

  it('reports a refused origin, a token refused twice, and a failed answer by their codes', async () => {
    expect(await watch(() => new Response('{}', { status: 403 }))).toEqual([{ error: expect.objectContaining({ code: 'origin_refused', status: 403 }) }]);
    expect(await watch(() => new Response('{}', { status: 401 }))).toEqual([{ error: expect.objectContaining({ code: 'unauthorized', status: 401 }) }]);
    expect(await watch(() => new Response('{}', { status: 500 }))).toEqual([{ error: expect.objectContaining({ code: 'request_failed', status: 500 }) }]);
  });

  it('reports a token that could not be had (getToken refused, or the check unreachable)', async () => {
    expect(await watch(() => Response.json(JOB), () => Promise.reject(new TokenRefused()))).toEqual([{ error: expect.objectContaining({ code: 'unauthorized' }) }]);
  });
});
