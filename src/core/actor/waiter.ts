// A parked long poll: when its answer is complete, and what the answer is.
// The rules live here once; the in-process host parks a Waiter (a connection
// of the actor's own), the Worker parks the request and reads the same items
// off its bridge to the Durable Object (cloudflare/wait-bridge.ts), where the
// actor's socket sent each as itemOf() made it.

import { HUB_READY, isStopCode, type ClosedInfo } from '../../protocol/wire.ts';
import type { JobWaitResult, WaitResult } from '../backend.ts';
import type { JsonText } from '../json.ts';
import type { Outgoing } from './frames.ts';
import type { Connection } from './ports.ts';

/** What a long poll receives, as the answer rules see it. */
export type PollItem =
  | { kind: 'event'; id: string; json: JsonText }
  | { kind: 'reset'; json: JsonText }
  | { kind: 'ready'; lastId: string; more?: boolean }
  | { kind: 'job'; json: JsonText }
  | { kind: 'snapshot'; job: JsonText | null }
  /** The actor closed the poll (a kick, a revoke, an erase: a stop code; or a replaced connection). */
  | { kind: 'closed'; code: number; reason: string };

/** An event poll is answered once the replay has ended and it holds an event or a reset; a job poll by its job. */
export function isAnswered(items: readonly PollItem[], transport: 'poll' | 'job'): boolean {
  if (items.some((item) => item.kind === 'closed')) return true;
  if (transport === 'job') return items.some((item) => item.kind === 'job');
  return items.some((item) => item.kind === 'ready') && items.some((item) => item.kind === 'event' || item.kind === 'reset');
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

/** The stop code the actor closed a poll with (the service ended the session), if it did. */
function endedBy(items: readonly PollItem[]): ClosedInfo | undefined {
  const closed = items.find((item): item is Extract<PollItem, { kind: 'closed' }> => item.kind === 'closed');
  return closed && isStopCode(closed.code) ? { code: closed.code, reason: closed.reason } : undefined;
}

/** The in-process long poll: a connection that collects items until its answer is complete, then settles once. */
export class Waiter implements Connection {
  readonly transport: 'poll' | 'job';
  readonly identity = this;
  /** A long poll carries its token on every request: no session. */
  readonly session = undefined;
  readonly items: PollItem[] = [];
  /** Resolves once the answer is complete, the wait ran out, or the client left. */
  readonly done: Promise<void>;
  #settle!: () => void;
  #settled = false;

  constructor(transport: 'poll' | 'job') {
    this.transport = transport;
    this.done = new Promise((resolve) => (this.#settle = resolve));
  }

  send(message: Outgoing): boolean {
    if (this.#settled) return false;
    this.items.push(itemOf(message));
    if (isAnswered(this.items, this.transport)) this.settle();
    return true;
  }

  close(code?: number, reason = ''): void {
    if (code !== undefined && !this.#settled) this.items.push({ kind: 'closed', code, reason });
    this.settle();
  }

  settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#settle();
  }
}

/** A job long poll's answer: the changed job, or else the job as it stood (null: no such job). */
export function jobAnswer(items: readonly PollItem[]): JobWaitResult {
  const changed = items.find((item): item is Extract<PollItem, { kind: 'job' }> => item.kind === 'job');
  if (changed) return { job: changed.json, changed: true };
  const snapshot = items.find((item): item is Extract<PollItem, { kind: 'snapshot' }> => item.kind === 'snapshot');
  return { job: snapshot?.job ?? null, changed: false, ended: endedBy(items) };
}

/** What a long poll takes of a message: the one reading of a message as a poll's item, in process and across the bridge. */
export function itemOf(message: Outgoing): PollItem {
  if (message.kind === 'event') return { kind: 'event', id: message.id, json: message.json };
  if (message.kind === 'job') return { kind: 'job', json: message.json };
  if (message.kind === 'snapshot') return { kind: 'snapshot', job: message.job };
  if (message.type === HUB_READY) return { kind: 'ready', lastId: message.lastId!, more: message.more };
  return { kind: 'reset', json: message.json };
}
