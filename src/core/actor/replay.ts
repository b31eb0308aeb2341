// What one connection gets after its resume point: a stream's replay before
// `hub.ready`, a long poll's page; the same reset rules for both.

import type { Credential } from '../auth/client-token.ts';
import type { Limits } from '../config.ts';
import { CloseCode, HUB_READY, HUB_RESET, PROTOCOL_VERSION } from '../../protocol/wire.ts';
import type { JsonText } from '../json.ts';
import type { EventLog } from './event-log.ts';
import { ControlMessage, OutgoingEvent, type Outgoing } from './frames.ts';
import { isStream, type Connection } from './ports.ts';

/** What a replay needs of the kernel (kernel.ts). */
export interface Replaying {
  readonly log: EventLog;
  readonly limits: Limits;
  refuseRevoked(credential: Credential | undefined): Promise<void>;
  send(connection: Connection, message: Outgoing): void;
  close(connection: Connection, code: number, reason: string): void;
  /** Tells the features which events reached a connection. */
  replayed(events: readonly OutgoingEvent[]): Promise<void>;
}


export interface PollResult {
  /** Notifications (and a leading hub.reset when due) as JSON texts. */
  frames: JsonText[];
  /** Resume point for the next poll. */
  lastId: string;
  /** More events are waiting: poll again at once from lastId. */
  more: boolean;
}

/**
 * Brings a connection just registered up to date: a reset notice when its
 * resume point is no longer retained, every retained event after it, then
 * `hub.ready`. A replay cut short: a poll answers its page with `more`; a
 * stream resumes at once from its last id (4009).
 */
export async function resume(k: Replaying, connection: Connection, after: number | undefined, limit?: number): Promise<void> {
  let from = after;
  const reset = after === undefined ? null : k.log.resetFor(after);
  if (reset) {
    k.send(connection, new ControlMessage(HUB_RESET, reset));
    from = k.log.prunedThrough;
  }
  if (from !== undefined && from < k.log.lastId) {
    // A long poll gets its page and one more event (its answer's `more`).
    const { events, more } = await replay(k.log, from, k.limits.replayMaxBytes, limit === undefined ? undefined : limit + 1);
    for (const event of events) k.send(connection, event);
    await k.replayed(events);
    if (more) {
      if (!isStream(connection)) return void k.send(connection, new ControlMessage(HUB_READY, { lastId: events.at(-1)!.id, more: true, protocol: PROTOCOL_VERSION }));
      return k.close(connection, CloseCode.resumeNow, 'replay continues on the next connection');
    }
  }
  k.send(connection, new ControlMessage(HUB_READY, { lastId: String(k.log.lastId), protocol: PROTOCOL_VERSION }));
}

/** A short poll: events after `after`, at most `limit`, with the same reset rules as streams. Throws 401 for a revoked credential. */
export async function poll(k: Replaying, after: number | undefined, limit: number, credential?: Credential): Promise<PollResult> {
  await k.refuseRevoked(credential);
  if (after === undefined) return { frames: [], lastId: String(k.log.lastId), more: false };
  const frames: JsonText[] = [];
  const reset = k.log.resetFor(after);
  if (reset) frames.push(new ControlMessage(HUB_RESET, reset).json);
  const { events, more } = await replay(k.log, reset ? k.log.prunedThrough : after, k.limits.replayMaxBytes, limit);
  for (const event of events) frames.push(event.json);
  await k.replayed(events);
  const last = events.at(-1)?.row.id ?? (reset ? k.log.lastId : after);
  return { frames, lastId: String(last), more };
}

/** Rows read at a time while a replay is gathered. */
const REPLAY_PAGE = 100;

/**
 * The events after `from`: at most `limit` (all when absent) and `maxBytes`,
 * always at least one so every replay moves on; `more` when others remain.
 * Read a page at a time, so a bound of 1 MiB never loads the whole log into memory.
 */
export async function replay(log: EventLog, from: number, maxBytes: number, limit = Infinity): Promise<{ events: OutgoingEvent[]; more: boolean }> {
  const events: OutgoingEvent[] = [];
  let bytes = 0;
  for (let cursor = from; ; ) {
    // One row past what is left of `limit`, to tell whether more remain.
    const want = Math.min(REPLAY_PAGE, limit - events.length + 1);
    const rows = await log.after(cursor, want);
    for (const row of rows) {
      if (events.length === limit) return { events, more: true };
      const event = new OutgoingEvent(row);
      bytes += utf8Length(event.json);
      if (bytes > maxBytes && events.length > 0) return { events, more: true };
      events.push(event);
    }
    if (rows.length < want) return { events, more: false };
    cursor = rows.at(-1)!.id;
  }
}

const utf8 = new TextEncoder();

/** Bytes of a text as UTF-8, without encoding it when it is ASCII. */
function utf8Length(text: string): number {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : utf8.encode(text).byteLength;
}
