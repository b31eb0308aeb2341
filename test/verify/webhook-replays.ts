// Replayed publisher requests, for the hostile-input suite: a signed request
// is never stored twice, a reused webhook-id never answers for another
// request, and a request captured for one user works for no other.

import { tokenFor } from '../helpers/requests.ts';
import { bearerFetch, webhookHeaders } from './hub-wire.ts';
import type { Tally } from './suite.ts';

/**
 * A repeated request is a retry (README, Publisher side): answered with the
 * first answer and `duplicate: true`, and stored once. The same webhook-id with
 * another request is refused with 409; a signed request replayed to another
 * user's URL is refused (400 for a body naming its user, 401 for a signed GET).
 * Checked on users of their own, outside the corpus's targets.
 */
export async function checkReplays(base: string, runTag: string, tally: Tally) {
  const user = `hx-${runTag}-replay`;
  const batchUser = `hx-${runTag}-replay-batch`;
  const victim = `hx-${runTag}-replay-victim`;
  tally.set('replayCases', 0);
  tally.set('crossUserReplays', 0);
  tally.set('idempotencyReuses', 0);
  const post = (body: string, headers: Record<string, string>, to = user) =>
    fetch(`${base}/v1/users/${to}/events`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  const answer = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });

  const webhookId = `msg_${runTag}_replay`;
  const first = JSON.stringify({ userId: user, type: 'replay.first', data: { n: 1 } });
  const second = JSON.stringify({ userId: user, type: 'replay.second', data: { n: 2 } });
  const firstHeaders = await webhookHeaders(first, { webhookId });
  const original = await answer(await post(first, firstHeaders));
  tally.expect(original.status === 202 && typeof original.body.id === 'string', `replay: the first publish answered ${JSON.stringify(original)}`);
  const presencePath = `/v1/users/${user}/presence`;
  const presenceHeaders = await webhookHeaders(`GET ${presencePath}`);
  const attempts: Array<[string, 'retry' | 'crossUser' | 'reuse' | 'forged', () => Promise<Response>, number, string?]> = [
    ['the same request again', 'retry', () => post(first, firstHeaders), 202],
    ['the same webhook-id with another body, signed', 'reuse', async () => post(second, await webhookHeaders(second, { webhookId })), 409, 'idempotency_key_reused'],
    ['the same webhook-id with another body under the first signature', 'forged', () => post(second, firstHeaders), 401],
    ['the signed publish replayed to another user', 'crossUser', () => post(first, firstHeaders, victim), 400, 'target_mismatch'],
    ['the signed publish under a fresh webhook-id to another user, unbound', 'crossUser', async () => {
      const unbound = JSON.stringify({ type: 'replay.injected', data: {} });
      return post(unbound, await webhookHeaders(unbound), victim);
    }, 400, 'target_mismatch'],
    ['the signed presence read replayed for another user', 'crossUser', () =>
      fetch(`${base}/v1/users/${victim}/presence`, { headers: presenceHeaders, signal: AbortSignal.timeout(15_000) }), 401],
    ['the signed presence read with another query', 'crossUser', () =>
      fetch(`${base}${presencePath}?x=1`, { headers: presenceHeaders, signal: AbortSignal.timeout(15_000) }), 401],
  ];
  for (const [name, kind, send, status, code] of attempts) {
    tally.add('replayCases');
    if (kind === 'crossUser') tally.add('crossUserReplays');
    if (kind === 'reuse') tally.add('idempotencyReuses');
    const got = await answer(await send());
    const ok =
      status === 202
        ? got.status === 202 && got.body.id === original.body.id && got.body.duplicate === true
        : got.status === status && (code === undefined || (got.body.error as { code?: string } | undefined)?.code === code);
    tally.expect(ok, `replay: ${name} answered ${JSON.stringify(got)}, expected ${status}${code ? ` ${code}` : ''}`);
  }
  const read = await fetch(`${base}${presencePath}`, { headers: presenceHeaders, signal: AbortSignal.timeout(15_000) });
  tally.expect(read.status === 200, `replay: the signed presence read for its own user answered ${read.status}`);

  const jobPath = `/v1/users/${user}/jobs/replayed`;
  const jobId = `msg_${runTag}_job`;
  const put = async (update: unknown) => {
    const text = JSON.stringify(update);
    return fetch(`${base}${jobPath}`, {
      method: 'PUT',
      headers: { ...(await webhookHeaders(text, { webhookId: jobId })), 'Content-Type': 'application/json' },
      body: text,
      signal: AbortSignal.timeout(15_000),
    });
  };
  const created = await answer(await put({ userId: user, jobId: 'replayed', status: 'running', progress: 0.2 }));
  tally.expect(created.status === 201, `replay: the job update answered ${JSON.stringify(created)}`);
  tally.add('replayCases');
  const retried = await answer(await put({ userId: user, jobId: 'replayed', status: 'running', progress: 0.2 }));
  tally.expect(retried.status === 200 && retried.body.duplicate === true, `replay: the job update again answered ${JSON.stringify(retried)}`);
  tally.add('replayCases');
  tally.add('idempotencyReuses');
  const reused = await answer(await put({ userId: user, jobId: 'replayed', status: 'succeeded', result: { stolen: true } }));
  tally.expect(
    reused.status === 409 && (reused.body.error as { code?: string } | undefined)?.code === 'idempotency_key_reused',
    `replay: a job update reusing a webhook-id for another change answered ${JSON.stringify(reused)}`,
  );
  tally.add('replayCases');
  tally.add('idempotencyReuses');
  const acrossKinds = await answer(await post(first, await webhookHeaders(first, { webhookId: jobId })));
  tally.expect(
    acrossKinds.status === 409 && (acrossKinds.body.error as { code?: string } | undefined)?.code === 'idempotency_key_reused',
    `replay: a publish reusing a job update's webhook-id answered ${JSON.stringify(acrossKinds)}`,
  );

  const batchId = `msg_${runTag}_batch`;
  const batchBody = JSON.stringify({ userIds: [batchUser, batchUser, batchUser], type: 'replay.batch' });
  const batchHeaders = await webhookHeaders(batchBody, { webhookId: batchId });
  const sendBatch = async () =>
    answer(
      await fetch(`${base}/v1/events:batch`, {
        method: 'POST',
        headers: { ...batchHeaders, 'Content-Type': 'application/json' },
        body: batchBody,
        signal: AbortSignal.timeout(15_000),
      }),
    );
  const batch = await sendBatch();
  const results = (batch.body.results ?? []) as Array<Record<string, unknown>>;
  tally.expect(batch.status === 202 && results.length === 1, `replay: a batch naming one user three times answered ${JSON.stringify(batch)}`);
  tally.add('replayCases');
  const batchAgain = await sendBatch();
  const again = (batchAgain.body.results ?? []) as Array<Record<string, unknown>>;
  tally.expect(again.length === 1 && again[0]?.duplicate === true, `replay: the batch again answered ${JSON.stringify(batchAgain)}`);

  // Read back: once each, the first body, the job unchanged, nothing for the victim.
  const [events, batchEvents, victimEvents] = await Promise.all([user, batchUser, victim].map((who) => pollAll(base, who)));
  tally.expect(victimEvents!.length === 0, `replay: the other user's log holds ${victimEvents!.length} events, expected none`);
  const stored = events!.map((event) => event.type);
  tally.set('duplicatesStored', Math.max(0, events!.length - 2) + Math.max(0, batchEvents!.length - 1) + victimEvents!.length);
  tally.expect(
    stored.length === 2 && stored[0] === 'replay.first' && stored[1] === 'job.running',
    `replay: the user's log holds ${JSON.stringify(stored)}, expected replay.first and job.running`,
  );
  tally.expect(batchEvents!.length === 1, `replay: the batch user's log holds ${batchEvents!.length} events, expected 1`);
  const job = await bearerFetch(base, '/v1/jobs/replayed', await tokenFor(user));
  const state = (await job.json()) as { status?: string; version?: number };
  tally.expect(state.status === 'running' && state.version === 1, `replay: the job is ${JSON.stringify(state)}, expected running at version 1`);
}

async function pollAll(base: string, user: string): Promise<Array<{ id: string; type: string }>> {
  const token = await tokenFor(user);
  const events: Array<{ id: string; type: string }> = [];
  for (let after = '0', page = 0; page < 20; page++) {
    const response = await bearerFetch(base, `/v1/poll?after=${after}`, token);
    if (response.status !== 200) throw new Error(`poll for ${user} answered ${response.status}`);
    const body = (await response.json()) as { events: Array<{ id: string; type: string }>; lastId: string; more: boolean };
    events.push(...body.events);
    after = body.lastId;
    if (!body.more) break;
  }
  return events;
}
