// Replayed publisher requests, for the hostile-input suite: a signed request
// is never stored twice, whatever is replayed under its webhook-id.

import { tokenFor } from '../helpers/requests.ts';
import { bearerFetch, webhookHeaders } from './hub-wire.ts';
import type { Tally } from './suite.ts';

/**
 * A reused webhook-id is a retry (README, Publisher side): answered with the
 * first answer and `duplicate: true`, even with another body, and stored once.
 * Checked on users of their own, outside the corpus's targets.
 */
export async function checkReplays(base: string, runTag: string, tally: Tally) {
  const user = `hx-${runTag}-replay`;
  const batchUser = `hx-${runTag}-replay-batch`;
  tally.set('replayCases', 0);
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${base}/v1/users/${user}/events`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  const answer = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });

  const webhookId = `msg_${runTag}_replay`;
  const first = JSON.stringify({ type: 'replay.first', data: { n: 1 } });
  const second = JSON.stringify({ type: 'replay.second', data: { n: 2 } });
  const firstHeaders = await webhookHeaders(first, { webhookId });
  const original = await answer(await post(first, firstHeaders));
  tally.expect(original.status === 202 && typeof original.body.id === 'string', `replay: the first publish answered ${JSON.stringify(original)}`);
  const attempts: Array<[string, () => Promise<Response>, number]> = [
    ['the same request again', () => post(first, firstHeaders), 202],
    ['the same webhook-id with another body, signed', async () => post(second, await webhookHeaders(second, { webhookId })), 202],
    ['the same webhook-id with another body under the first signature', () => post(second, firstHeaders), 401],
  ];
  for (const [name, send, status] of attempts) {
    tally.add('replayCases');
    const got = await answer(await send());
    const ok = status === 202 ? got.status === 202 && got.body.id === original.body.id && got.body.duplicate === true : got.status === status;
    tally.expect(ok, `replay: ${name} answered ${JSON.stringify(got)}`);
  }

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
  const created = await answer(await put({ status: 'running', progress: 0.2 }));
  tally.expect(created.status === 201, `replay: the job update answered ${JSON.stringify(created)}`);
  tally.add('replayCases');
  const reused = await answer(await put({ status: 'succeeded', result: { stolen: true } }));
  tally.expect(reused.status < 300 && reused.body.duplicate === true, `replay: a job update reusing a webhook-id answered ${JSON.stringify(reused)}`);

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

  // Read back: once each, the first body, the job unchanged.
  const [events, batchEvents] = await Promise.all([user, batchUser].map((who) => pollAll(base, who)));
  const stored = events!.map((event) => event.type);
  tally.set('duplicatesStored', Math.max(0, events!.length - 2) + Math.max(0, batchEvents!.length - 1));
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
