// The inbox: a publisher's notifications kept per user with read, seen and
// archived state. Each new item is an `inbox.created` event, each change of
// state an `inbox.changed` event with the counts after it; receipt times are
// set as items are delivered, acknowledged, seen and read.

import type { Credential } from '../auth/client-token.ts';
import { badRequest } from '../errors.ts';
import {
  HUB_ERROR,
  INBOX_CHANGED,
  INBOX_CREATED,
  INBOX_WRITE_RATE,
  parseEventId,
  type InboxAction,
  type InboxChangeResult,
  type InboxCounts,
  type InboxStatus,
  type PublishResult,
} from '../../protocol/wire.ts';
import type { IdempotencyKey } from '../actor/dedupe.ts';
import type { Feature } from '../actor/feature.ts';
import { ControlMessage } from '../actor/frames.ts';
import type { InboxTarget, NotificationContent, StoredItem } from '../actor/inbox.ts';
import type { Kernel } from '../actor/kernel.ts';
import { TokenBucket } from '../actor/rate-limit.ts';
import { checkData, checkType, spendPublishBudget } from './events.ts';
import { encode, type JsonText } from '../json.ts';
import { inboxStore } from './parts.ts';
import { queuePush } from './push.ts';
import { queueReceipts } from './receipts.ts';

/** A notification for the user's inbox (NotificationContent; `data` as canonical JSON text). */
export interface NotifyInput extends IdempotencyKey, NotificationContent {}

/** One page of the inbox: items as JSON texts, newest first. */
export interface InboxListing {
  items: JsonText[];
  counts: InboxCounts;
  next: string | null;
}

/** Room an `inbox.created` event's data needs beyond the publisher's `data`: title, body, url, keys, times and counts. */
const INBOX_ITEM_OVERHEAD = 8 * 1024;

/** The user's own inbox changes and HTTP acknowledgements: one bucket each. */
const budget = (k: Kernel, key: 'inboxBudget' | 'ackBudget') =>
  k.part(key, () => new TokenBucket(INBOX_WRITE_RATE.perSecond, INBOX_WRITE_RATE.burst));

/**
 * Stores a notification in the user's inbox and announces it as an
 * `inbox.created` event (the item's id is the event's): an unread item with
 * the same collapse key is replaced, items beyond the inbox's count limit
 * are dropped, and the counts in the event are those of this transaction.
 * Rate-limited and deduplicated like publish().
 */
export function notify(k: Kernel, input: NotifyInput, now: number): PublishResult {
  checkType(input.type);
  if (input.data !== undefined) checkData(k, input.data);
  const inbox = inboxStore(k);
  return k.once(input, now, () => {
    spendPublishBudget(k, now);
    const delivered = k.connections.receivers();
    const id = k.log.lastId + 1;
    const { item, replaces } = inbox.create(id, input, now, delivered > 0);
    inbox.trim(k.limits.inboxMaxItems);
    const data = encode({ ...item.value, counts: inbox.counts(), replaces: replaces === null ? undefined : String(replaces) });
    if (data.length > k.limits.maxEventBytes + INBOX_ITEM_OVERHEAD) throw badRequest('The notification is larger than MAX_EVENT_BYTES.');
    const event = k.insertEvent(INBOX_CREATED, data, now);
    queuePush(k, id, input.push, delivered, now);
    k.pruneAfterWrite(now, false, k.limits.inboxMaxAgeSeconds);
    return { result: { id: event.id, delivered }, event };
  });
}

/** One inbox item's JSON (with its receipt times), or null. */
export function getNotification(k: Kernel, id: number): JsonText | null {
  return inboxStore(k).get(id)?.json ?? null;
}

/** A page of the inbox, newest first, with the counts. Throws 401 for a revoked credential. */
export function listInbox(k: Kernel, status: InboxStatus, before: number | undefined, limit: number, credential?: Credential): InboxListing {
  k.admit(credential);
  const inbox = inboxStore(k);
  const { items, next } = inbox.list(status, before, limit);
  return { items: items.map((item) => item.json), counts: inbox.counts(), next };
}

/**
 * The user marks items seen, read or unread, or archives them. What changes
 * is announced as one `inbox.changed` event with the counts after it, in the
 * same transaction; a call that changes nothing emits nothing. Throws 429
 * over INBOX_WRITE_RATE, 401 for a revoked credential.
 */
export function changeInbox(k: Kernel, action: InboxAction, target: InboxTarget, credential: Credential | undefined, now: number): InboxChangeResult {
  k.admit(credential);
  k.spend(budget(k, 'inboxBudget'), now, `This user may change the inbox ${INBOX_WRITE_RATE.perSecond} times a second`);
  const inbox = inboxStore(k);
  const { result, event } = k.atomically(() => {
    const { changed, unknown } = inbox.change(action, target, now);
    const counts = inbox.counts();
    const result = { changed: changed.map((item) => item.id), unknown: unknown.map(String), counts };
    if (changed.length === 0) return { result };
    queueReceipts(k, changed, now);
    k.log.supersedeInboxChanges(new Set(changed.map((item) => String(item.id))));
    const data = encode({ counts, items: changed.map((item) => item.state) });
    // What the user's clicks write does not count towards the retention limit, so it never asks for a count prune.
    return { result, event: k.insertEvent(INBOX_CHANGED, data, now, false) };
  });
  if (event) k.deliver(event);
  return result;
}

/**
 * A client over HTTP (SSE, polls) has every event up to `through`: the
 * inbox items among them get their `receivedAt`. Returns how many did.
 */
export function acknowledge(k: Kernel, through: number, credential: Credential | undefined, now: number): { acknowledged: number } {
  k.admit(credential);
  k.spend(budget(k, 'ackBudget'), now, `This user may acknowledge over HTTP ${INBOX_WRITE_RATE.perSecond} times a second`);
  return { acknowledged: acknowledgeThrough(k, through, now).length };
}

/** Sets `receivedAt` on the items up to `through` that had none (an `ack` frame, or acknowledge()). */
function acknowledgeThrough(k: Kernel, through: number, now: number): StoredItem[] {
  return k.sql.transaction(() => {
    const items = inboxStore(k).acknowledge(Math.min(through, k.log.lastId), now);
    queueReceipts(k, items, now);
    return items;
  });
}

export const inbox: Feature<Kernel> = {
  frames: {
    /** `{"type":"ack","through":"<id>"}`: this client has every event up to `through`. */
    ack(k, connection, frame) {
      const through = typeof frame.through === 'string' ? parseEventId(frame.through) : null;
      if (typeof through === 'number') return void acknowledgeThrough(k, through, Date.now());
      connection.send(new ControlMessage(HUB_ERROR, { code: 'invalid_frame', message: 'ack: {"type":"ack","through":"<event id>"}.' }));
    },
  },
  /** Inbox items announced by these events reached a connection: their `deliveredAt`, when they had none. */
  replayed(k, events) {
    const ids = events.filter((event) => event.row.type === INBOX_CREATED).map((event) => event.row.id);
    if (ids.length > 0) inboxStore(k).delivered(ids, Date.now());
  },
  prune(k, now) {
    const maxAge = k.limits.inboxMaxAgeSeconds * 1000;
    const store = inboxStore(k);
    store.prune(k.limits.inboxMaxItems, now - maxAge);
    return (store.oldest() ?? Infinity) + maxAge;
  },
  erase: (k) => ({ notifications: inboxStore(k).erase() }),
  stats: (k) => ({ inbox: inboxStore(k).counts() }),
};

