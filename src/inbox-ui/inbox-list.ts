// The loaded part of an inbox listing as plain values: which items a filter
// keeps, a page merged in, and an inbox event applied, so the list follows the
// stream without a reload. No React and no client here.

import type { HubEvent, InboxChanged, InboxCreated, InboxItem, InboxPage, InboxStatus } from '../client/index.ts';

export interface InboxFilter {
  /** As GET /v1/inbox's `status`: unread, unseen, all (not archived; the default) or archived. */
  status?: InboxStatus;
  /** Only items of this category (the service lists every category: the others are skipped here). */
  category?: string;
}

export interface InboxList {
  /** Newest first. */
  items: InboxItem[];
  /** Where the next (older) page starts: the last page's `next`; null when everything was loaded. */
  next: string | null;
  /** Ids listed but left out by the category: a change to one of them needs no refetch. */
  hidden: ReadonlySet<string>;
}

export const EMPTY_LIST: InboxList = { items: [], next: null, hidden: new Set() };

type ItemState = Pick<InboxItem, 'readAt' | 'seenAt' | 'archivedAt'>;

/** Whether an item in this state belongs to the listing `status` asks for (as the service's query decides). */
function inStatus(item: ItemState, status: InboxStatus = 'all'): boolean {
  if (status === 'archived') return item.archivedAt !== null;
  if (item.archivedAt !== null) return false;
  return status === 'unread' ? item.readAt === null : status === 'unseen' ? item.seenAt === null : true;
}

const older = (id: string, than: string) => Number(id) < Number(than);
const newestFirst = (a: InboxItem, b: InboxItem) => Number(b.id) - Number(a.id);

/** The list with `page` as its newest part: what was loaded beyond the page stays. */
export function withFirstPage(list: InboxList, page: InboxPage, filter: InboxFilter): InboxList {
  const { shown, hidden } = split(page.items, filter, list.hidden);
  if (page.next === null) return { items: shown, next: null, hidden };
  const beyond = list.items.filter((item) => older(item.id, page.next!));
  const next = list.next === null && beyond.length > 0 ? null : list.next !== null && older(list.next, page.next) ? list.next : page.next;
  return { items: [...shown, ...beyond], next, hidden };
}

/** The list with `page` (read from `before`) after it. */
export function withNextPage(list: InboxList, page: InboxPage, before: string, filter: InboxFilter): InboxList {
  const known = new Set(list.items.map((item) => item.id));
  const { shown, hidden } = split(page.items, filter, list.hidden);
  return { items: [...list.items, ...shown.filter((item) => older(item.id, before) && !known.has(item.id))], next: page.next, hidden };
}

function split(items: InboxItem[], filter: InboxFilter, hidden: ReadonlySet<string>) {
  const shown = items.filter((item) => filter.category === undefined || item.category === filter.category);
  const left = items.filter((item) => !shown.includes(item)).map((item) => item.id);
  return { shown, hidden: left.length === 0 ? hidden : new Set([...hidden, ...left]) };
}

/**
 * An `inbox.created` or `inbox.changed` event applied to the list. `refetch`:
 * an item now belongs in the loaded part that the list does not hold (marked
 * unread in an unread listing, archived in the archived one), and the event
 * carries only its state, so the first page must be read again.
 */
export function applyInboxEvent(list: InboxList, event: HubEvent, filter: InboxFilter): { list: InboxList; refetch: boolean } {
  if (event.type === 'inbox.created') {
    const { counts: _counts, replaces, ...item } = event.data as InboxCreated;
    let items = replaces === undefined ? list.items : list.items.filter((shown) => shown.id !== replaces);
    if (filter.category !== undefined && item.category !== filter.category) return { list: { ...list, items, hidden: new Set([...list.hidden, item.id]) }, refetch: false };
    if (inStatus(item, filter.status) && !items.some((shown) => shown.id === item.id)) items = [...items, item].sort(newestFirst);
    return { list: { ...list, items }, refetch: false };
  }
  if (event.type !== 'inbox.changed') return { list, refetch: false };
  let items = list.items;
  let refetch = false;
  for (const state of (event.data as InboxChanged).items) {
    const at = items.findIndex((item) => item.id === state.id);
    if (at < 0) {
      const loaded = list.next === null || !older(state.id, list.next);
      refetch ||= loaded && !list.hidden.has(state.id) && inStatus(state, filter.status);
      continue;
    }
    const changed = { ...items[at]!, seenAt: state.seenAt, readAt: state.readAt, archivedAt: state.archivedAt };
    items = inStatus(changed, filter.status) ? items.map((item, i) => (i === at ? changed : item)) : items.filter((_, i) => i !== at);
  }
  return { list: { ...list, items }, refetch };
}
