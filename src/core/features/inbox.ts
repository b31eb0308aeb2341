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
import { EVENTS } from '../actor/ports.ts';
import { receivers } from '../actor/relay.ts';

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
const newBudget = () => new TokenBucket(INBOX_WRITE_RATE.perSecond, INBOX_WRITE_RATE.burst);

/**
 * Stores a notification in the user's inbox and announces it as an
 * `inbox.created` event (the item's id is the event's): an unread item with
 * the same collapse key is replaced, items beyond the inbox's count limit
 * are dropped, and the counts in the event are those of this transaction.
 * Rate-limited and deduplicated like publish().
 */
export async function notify(k: Kernel, input: NotifyInput, now: number): Promise<PublishResult> {
  checkType(input.type);
  if (input.data !== undefined) checkData(k, input.data);
  const inbox = inboxStore(k);
  return await k.once(input, now, async () => {
    await spendPublishBudget(k, now);
    const delivered = await receivers(k);
    const id = k.log.lastId + 1;
    const { item, replaces } = await inbox.create(id, input, now, delivered > 0);
    await inbox.trim(k.limits.inboxMaxItems);
    const data = encode({ ...item.value, counts: (await inbox.counts()), replaces: replaces === null ? undefined : String(replaces) });
    if (data.length > k.limits.maxEventBytes + INBOX_ITEM_OVERHEAD) throw badRequest('The notification is larger than MAX_EVENT_BYTES.');
    const event = await k.insertEvent(INBOX_CREATED, data, now);
    await queuePush(k, id, input.push, delivered, now);
    await k.pruneAfterWrite(now, false, k.limits.inboxMaxAgeSeconds);
    return { result: { id: event.id, delivered }, event };
  });
}

/** One inbox item's JSON (with its receipt times), or null. */
export async function getNotification(k: Kernel, id: number): Promise<JsonText | null> {
  return (await inboxStore(k).get(id))?.json ?? null;
}

/** A page of the inbox, newest first, with the counts. Throws 401 for a revoked credential. */
export async function listInbox(k: Kernel, status: InboxStatus, before: number | undefined, limit: number, credential?: Credential): Promise<InboxListing> {
  await k.refuseRevoked(credential);
  const inbox = inboxStore(k);
  const { items, next } = await inbox.list(status, before, limit);
  return { items: items.map((item) => item.json), counts: (await inbox.counts()), next };
}

/**
 * The user marks items seen, read or unread, or archives them. What changes
 * is announced as one `inbox.changed` event with the counts after it, in the
 * same transaction; a call that changes nothing emits nothing. Throws 429
 * over INBOX_WRITE_RATE, 401 for a revoked credential.
 */
export async function changeInbox(k: Kernel, action: InboxAction, target: InboxTarget, credential: Credential | undefined, now: number): Promise<InboxChangeResult> {
  await k.refuseRevoked(credential);
  await k.spend('inboxBudget', newBudget, now, `This user may change the inbox ${INBOX_WRITE_RATE.perSecond} times a second`);
  const inbox = inboxStore(k);
  const { result, event } = (await k.atomically(async () => {
    const { changed, unknown } = (await inbox.change(action, target, now));
    const counts = await inbox.counts();
    const result = { changed: changed.map((item) => item.id), unknown: unknown.map(String), counts };
    if (changed.length === 0) return { result };
    await queueReceipts(k, changed, now);
    await k.log.supersedeInboxChanges(new Set(changed.map((item) => String(item.id))));
    const data = encode({ counts, items: changed.map((item) => item.state) });
    // What the user's clicks write does not count towards the retention limit, so it never asks for a count prune.
    return { result, event: (await k.insertEvent(INBOX_CHANGED, data, now, false)) };
  }));
  if (event) await k.deliver(event);
  return result;
}

/**
 * A client over HTTP (SSE, polls) has every event up to `through`: the
 * inbox items among them get their `receivedAt`. Returns how many did.
 */
export async function acknowledge(k: Kernel, through: number, credential: Credential | undefined, now: number): Promise<{ acknowledged: number }> {
  await k.refuseRevoked(credential);
  await k.spend('ackBudget', newBudget, now, `This user may acknowledge over HTTP ${INBOX_WRITE_RATE.perSecond} times a second`);
  return { acknowledged: (await acknowledgeThrough(k, through, now)).length };
}

/** Sets `receivedAt` on the items up to `through` that had none (an `ack` frame, or acknowledge()). */
async function acknowledgeThrough(k: Kernel, through: number, now: number): Promise<StoredItem[]> {
  return await k.atomically(async () => {
    const items = await inboxStore(k).acknowledge(Math.min(through, k.log.lastId), now);
    await queueReceipts(k, items, now);
    return items;
  });
}

export const inbox: Feature<Kernel> = {
  frames: {
    /** `{"type":"ack","through":"<id>"}`: this client has every event up to `through`. */
    async ack(k, connection, frame) {
      const through = typeof frame.through === 'string' ? parseEventId(frame.through) : null;
      if (typeof through === 'number') return void (await acknowledgeThrough(k, through, Date.now()));
      connection.send(new ControlMessage(HUB_ERROR, { code: 'invalid_frame', message: 'ack: {"type":"ack","through":"<event id>"}.' }));
    },
  },
  /** Inbox items announced by these events reached a connection: their `deliveredAt`, when they had none. */
  async replayed(k, events) {
    const ids = events.filter((event) => event.row.type === INBOX_CREATED).map((event) => event.row.id);
    if (ids.length > 0) await inboxStore(k).delivered(ids, Date.now());
  },
  async prune(k, now) {
    const maxAge = k.limits.inboxMaxAgeSeconds * 1000;
    const store = inboxStore(k);
    await store.prune(k.limits.inboxMaxItems, now - maxAge);
    return ((await store.oldest()) ?? Infinity) + maxAge;
  },
  erase: async (k) => ({ notifications: (await inboxStore(k).erase()) }),
  stats: async (k) => ({ inbox: (await inboxStore(k).counts()) }),
};

