// Long polls: GET /v1/poll?wait= (the next events) and GET /v1/jobs/:jobId?wait=
// (the next change of one job; client-jobs.ts). The request is parked in a
// sink that collects what the actor sends as items until its answer is
// complete, its wait runs out, or its client leaves. The answer rules live
// here once, for every host. A short poll (wait=0) is a plain actor call.

import { Hono } from 'hono';
import type { z } from 'zod';
import { requireBearer } from '../auth/authenticate.ts';
import type { Credential } from '../auth/client-token.ts';
import { HUB_READY, isStopCode, POLL_PAGE_SIZE, TIMED_OUT_HEADER, type ClosedInfo } from '../../protocol/wire.ts';
import type { Outgoing } from '../actor/frames.ts';
import type { OpenOptions } from '../actor/options.ts';
import type { PollResult } from '../actor/replay.ts';
import type { HubContext, HubEnv } from '../context.ts';
import { sessionEnded } from '../errors.ts';
import { decode, encode, raw, type JsonText } from '../json.ts';
import { pollQuery } from '../schemas.ts';
import { validate } from '../validate.ts';
import { connect, LinkedSink } from './sink.ts';
import { CLIENT, errors, json, POLL_DESCRIPTIONS, queryParameters, ref, type JsonSchema } from '../openapi-schemas.ts';

/** What a long poll receives, as the answer rules see it. */
export type PollItem =
  | { kind: 'event'; id: string; json: JsonText }
  | { kind: 'reset'; json: JsonText }
  | { kind: 'ready'; lastId: string; more?: boolean }
  | { kind: 'job'; json: JsonText }
  | { kind: 'snapshot'; job: JsonText | null }
  /** The actor closed the poll (a kick, a revoke, an erase: a stop code; or a replaced connection). */
  | { kind: 'closed'; code: number; reason: string };

/** What a long poll takes of a message: the one reading of a message as a poll's item. */
export function itemOf(message: Outgoing): PollItem {
  if (message.kind === 'event') return { kind: 'event', id: message.id, json: message.json };
  if (message.kind === 'job') return { kind: 'job', json: message.json };
  if (message.kind === 'snapshot') return { kind: 'snapshot', job: message.job };
  if (message.type === HUB_READY) return { kind: 'ready', lastId: message.lastId!, more: message.more };
  return { kind: 'reset', json: message.json };
}

/** A long poll (of events or of a job) carries each message as its item. */
export const frame = (message: Outgoing): string => encode(itemOf(message));

/** An event poll is answered once the replay has ended and it holds an event or a reset; a job poll by its job. */
export function isAnswered(items: readonly PollItem[], transport: 'poll' | 'job'): boolean {
  if (items.some((item) => item.kind === 'closed')) return true;
  if (transport === 'job') return items.some((item) => item.kind === 'job');
  return items.some((item) => item.kind === 'ready') && items.some((item) => item.kind === 'event' || item.kind === 'reset');
}

/** A long poll's answer: what a short poll would say, and whether the wait ran out with nothing. */
export interface WaitResult extends PollResult {
  timedOut: boolean;
  /** The service ended the session while the poll waited (a kick, a revoke, an erase). */
  ended?: ClosedInfo;
}

/** A job long poll's answer. */
export interface JobWaitResult {
  /** The job's JSON, or null when there is no such job. */
  job: JsonText | null;
  /** True when the job changed past the version the poll had seen. */
  changed: boolean;
  /** The service ended the session while the poll waited (a kick, a revoke, an erase). */
  ended?: ClosedInfo;
}

/**
 * The answer, with a short poll's rules: a reset first when due, at most
 * `limit` events, `more` when others wait, and the id to poll from next.
 */
export function pollAnswer(items: readonly PollItem[], limit: number): WaitResult {
  const reset = items.find((item) => item.kind === 'reset');
  const events = items.filter((item): item is Extract<PollItem, { kind: 'event' }> => item.kind === 'event');
  const page = events.slice(0, limit);
  const ready = items.find((item): item is Extract<PollItem, { kind: 'ready' }> => item.kind === 'ready');
  return {
    frames: [...(reset ? [reset.json] : []), ...page.map((event) => event.json)],
    lastId: page.at(-1)?.id ?? ready?.lastId ?? '0',
    // `more` from the ready frame: the replay was cut at REPLAY_MAX_BYTES.
    more: events.length > limit || ready?.more === true,
    timedOut: page.length === 0 && !reset,
    ended: endedBy(items),
  };
}

/** A job long poll's answer: the changed job, or else the job as it stood (null: no such job). */
export function jobAnswer(items: readonly PollItem[]): JobWaitResult {
  const changed = items.find((item): item is Extract<PollItem, { kind: 'job' }> => item.kind === 'job');
  if (changed) return { job: changed.json, changed: true };
  const snapshot = items.find((item): item is Extract<PollItem, { kind: 'snapshot' }> => item.kind === 'snapshot');
  return { job: snapshot?.job ?? null, changed: false, ended: endedBy(items) };
}

/** The stop code the actor closed a poll with (the service ended the session), if it did. */
function endedBy(items: readonly PollItem[]): ClosedInfo | undefined {
  const closed = items.find((item): item is Extract<PollItem, { kind: 'closed' }> => item.kind === 'closed');
  return closed && isStopCode(closed.code) ? { code: closed.code, reason: closed.reason } : undefined;
}

/** A parked long poll: collects items until its answer is complete, its wait runs out, or its client leaves; then settles once. */
export class PollSink extends LinkedSink {
  readonly transport: 'poll' | 'job';
  readonly #items: PollItem[] = [];
  /** The items, once the answer is complete, the wait ran out, or the client left. */
  readonly done: Promise<readonly PollItem[]>;
  #settle!: (items: readonly PollItem[]) => void;
  #settled = false;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #signal: AbortSignal;
  readonly #onAbort = () => this.#finish();

  constructor(transport: 'poll' | 'job', waitMs: number, signal: AbortSignal) {
    super();
    this.transport = transport;
    this.done = new Promise((resolve) => (this.#settle = resolve));
    this.#timer = setTimeout(this.#onAbort, waitMs);
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort);
    if (signal.aborted) this.#finish();
  }

  write(text: string): boolean {
    if (this.#settled) return false;
    this.#items.push(decode<PollItem>(text));
    if (isAnswered(this.#items, this.transport)) this.#finish();
    return true;
  }

  end(code: number, reason: string): void {
    if (!this.#settled) this.#items.push({ kind: 'closed', code, reason });
    this.#finish();
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#settle(this.#items);
    this.leave();
  }
}

/** Parks a long poll with the user's actor and waits for its items. */
async function park(c: HubContext, credential: Credential, transport: 'poll' | 'job', waitMs: number, options: OpenOptions) {
  const sink = new PollSink(transport, waitMs, c.req.raw.signal);
  await connect(c, credential.userId, sink, { ...options, credential });
  return sink.done;
}

/** The job once its version passes `version` (absent: its current one), or, when the wait runs out, the job as it stands. */
export async function waitForJob(c: HubContext, credential: Credential, waitMs: number, jobId: string, version: number | undefined): Promise<JobWaitResult> {
  return jobAnswer(await park(c, credential, 'job', waitMs, { job: { id: jobId, version } }));
}

const pollBody = (frames: readonly JsonText[], lastId: string, more: boolean) => encode({ events: frames.map(raw), lastId, more });

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/**
 * GET /v1/poll. A short poll reads the log; a long poll is one open of the
 * actor, answered at once when events are retained after `after`, else parked.
 */
async function poll(c: HubContext, { after, wait = 0, limit = POLL_PAGE_SIZE }: z.infer<typeof pollQuery>) {
  const credential = await requireBearer(c);
  if (wait === 0) {
    const page = await c.var.backend.actor(credential.userId).poll(after, limit, credential);
    return c.body(pollBody(page.frames, page.lastId, page.more), 200, HEADERS);
  }
  const answer = pollAnswer(await park(c, credential, 'poll', wait * 1000, { after, replayLimit: limit }), limit);
  if (answer.ended) throw sessionEnded(answer.ended);
  const headers = answer.timedOut ? { ...HEADERS, [TIMED_OUT_HEADER]: 'true' } : HEADERS;
  return c.body(pollBody(answer.frames, answer.lastId, answer.more), 200, headers);
}

export const routes = new Hono<HubEnv>().get('/v1/poll', validate('query', pollQuery), (c) => poll(c, c.req.valid('query')));

/** Its description in /openapi.json. */
export const paths: Record<string, Record<string, JsonSchema>> = {
  '/v1/poll': {
  get: {
    summary: 'Short or long poll of the user’s events.',
    security: CLIENT,
    parameters: queryParameters(pollQuery, POLL_DESCRIPTIONS),
    responses: {
      200: {
        ...json(ref('PollAnswer'), 'Events after the resume point; `more` says another page waits.'),
        headers: { [TIMED_OUT_HEADER]: { description: '`true` when a long poll ran out with nothing new.', schema: { type: 'string' } } },
      },
      ...errors(400, 401, 429),
    },
  },
},
};
