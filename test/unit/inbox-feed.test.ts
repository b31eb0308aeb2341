// useInboxItems' listing without React or a browser: pages read from an
// in-memory inbox that answers as GET /v1/inbox does, inbox events handed to
// it as the client hands them, and what the list holds after each.

import { describe, expect, it } from 'vitest';
import type { ClientError, HubEvent, InboxApi, InboxCounts, InboxItem, InboxPage, InboxStatus, ResetInfo, Status } from '../../src/client/index.ts';
import { createInboxFeed, type InboxFeedState } from '../../src/inbox-ui/inbox-feed.ts';
import type { InboxFilter } from '../../src/inbox-ui/inbox-list.ts';

const COUNTS: InboxCounts = { unread: 0, unseen: 0, total: 0 };

const item = (id: number, extra: Partial<InboxItem> = {}): InboxItem => ({
  id: String(id),
  type: 'comment',
  title: `item ${id}`,
  body: null,
  url: null,
  data: null,
  category: null,
  collapseKey: null,
  createdAt: '2026-12-08T00:00:00.000Z',
  deliveredAt: null,
  receivedAt: null,
  seenAt: null,
  readAt: null,
  archivedAt: null,
  pushedAt: null,
  ...extra,
});

const matches = (stored: InboxItem, status: InboxStatus = 'all') =>
  status === 'archived' ? stored.archivedAt !== null : stored.archivedAt === null && (status === 'unread' ? stored.readAt === null : status === 'unseen' ? stored.seenAt === null : true);

/** An inbox that lists as the service does, a client's listeners, and a switch that holds list answers until released. */
function fakeHub(stored: InboxItem[]) {
  const listeners = { event: new Set<(event: HubEvent) => void>(), reset: new Set<(reset: ResetInfo) => void>(), status: new Set<(status: Status) => void>() };
  const queries: Array<{ status?: InboxStatus; before?: string; limit?: number }> = [];
  let held: Array<() => void> | undefined;
  let failing: ClientError | undefined;
  let nextEventId = 1000;
  const inbox = {
    async list(query: { status?: InboxStatus; before?: string; limit?: number } = {}): Promise<InboxPage> {
      queries.push(query);
      if (failing) throw Object.assign(new Error(failing.message), failing);
      // The answer is computed now, and handed over when released: a read that answers late.
      const limit = query.limit ?? 20;
      const listed = stored
        .filter((s) => matches(s, query.status) && (query.before === undefined || Number(s.id) < Number(query.before)))
        .sort((a, b) => Number(b.id) - Number(a.id));
      const items = listed.slice(0, limit).map((s) => ({ ...s }));
      const page = { items, counts: COUNTS, next: listed.length > limit ? items.at(-1)!.id : null };
      if (held) await new Promise<void>((release) => held!.push(release));
      return page;
    },
    get counts() {
      return undefined;
    },
  } as Pick<InboxApi, 'list' | 'counts'> as InboxApi;
  const emit = (type: string, data: unknown) => {
    for (const listener of listeners.event) listener({ id: String(++nextEventId), type, data, time: '2026-12-08T00:00:00.000Z' } as HubEvent);
  };
  return {
    stored,
    queries,
    hub: {
      inbox,
      on: (kind: string, listener: (value: never) => void) => {
        const set = listeners[kind as keyof typeof listeners] as Set<typeof listener>;
        set.add(listener);
        return () => void set.delete(listener);
      },
    },
    /** A notification stored and announced. */
    create(created: InboxItem, replaces?: string) {
      if (replaces) stored.splice(stored.findIndex((s) => s.id === replaces), 1);
      stored.push(created);
      emit('inbox.created', { ...created, counts: COUNTS, ...(replaces ? { replaces } : {}) });
    },
    /** Items changed and announced with their states. */
    change(ids: string[], patch: Partial<InboxItem>) {
      const changed = stored.filter((s) => ids.includes(s.id)).map((s) => Object.assign(s, patch));
      emit('inbox.changed', { counts: COUNTS, items: changed.map(({ id, seenAt, readAt, archivedAt }) => ({ id, seenAt, readAt, archivedAt })) });
    },
    reset: () => listeners.reset.forEach((listener) => listener({ reason: 'retention' } as unknown as ResetInfo)),
    status: (status: Status) => listeners.status.forEach((listener) => listener(status)),
    hold: () => (held = []),
    release() {
      const waiting = held ?? [];
      held = undefined;
      waiting.forEach((release) => release());
    },
    fail: (error: ClientError | undefined) => (failing = error),
  };
}

function feedOf(fake: ReturnType<typeof fakeHub>, filter: InboxFilter & { pageSize?: number } = {}) {
  const states: InboxFeedState[] = [];
  const feed = createInboxFeed(fake.hub, { pageSize: 3, ...filter }, (state) => states.push(state));
  return { feed, ids: () => feed.state.list.items.map((i) => i.id), states };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => item(from + i));

describe('the inbox listing behind useInboxItems', () => {
  it('reads the first page, newest first, and loadMore appends the next page until there is none', async () => {
    const fake = fakeHub(range(1, 7));
    const { feed, ids } = feedOf(fake);
    expect(feed.state).toMatchObject({ loaded: false, loading: true });
    await feed.refresh();
    expect(ids()).toEqual(['7', '6', '5']);
    expect(feed.state).toMatchObject({ loaded: true, loading: false, error: undefined });
    expect(feed.state.list.next).toBe('5');
    await feed.loadMore();
    expect(ids()).toEqual(['7', '6', '5', '4', '3', '2']);
    await feed.loadMore();
    expect(ids()).toEqual(['7', '6', '5', '4', '3', '2', '1']);
    expect(feed.state.list.next).toBeNull();
    expect(fake.queries.map((q) => q.before)).toEqual([undefined, '5', '2']);
    feed.close();
  });

  it('puts an item announced by inbox.created at the top without reading again, and drops the one it replaces', async () => {
    const fake = fakeHub(range(1, 4));
    const { feed, ids } = feedOf(fake);
    await feed.refresh();
    const reads = fake.queries.length;
    fake.create(item(5, { title: 'new' }));
    expect(ids()).toEqual(['5', '4', '3', '2']);
    expect(feed.state.list.items[0]!.title).toBe('new');
    fake.create(item(6, { collapseKey: 'k' }), '4');
    expect(ids()).toEqual(['6', '5', '3', '2']);
    expect(fake.queries.length).toBe(reads);
    feed.close();
  });

  it('applies inbox.changed to the items it names: read in all, gone from unread, gone when archived', async () => {
    const all = fakeHub(range(1, 3));
    const everything = feedOf(all);
    const unread = feedOf(all, { status: 'unread' });
    await Promise.all([everything.feed.refresh(), unread.feed.refresh()]);
    all.change(['3'], { readAt: '2026-12-08T00:01:00.000Z', seenAt: '2026-12-08T00:01:00.000Z' });
    expect(everything.ids()).toEqual(['3', '2', '1']);
    expect(everything.feed.state.list.items[0]!.readAt).toBe('2026-12-08T00:01:00.000Z');
    expect(unread.ids()).toEqual(['2', '1']);
    all.change(['2'], { archivedAt: '2026-12-08T00:02:00.000Z' });
    expect(everything.ids()).toEqual(['3', '1']);
    everything.feed.close();
    unread.feed.close();
  });

  it('reads the first page again when an item the event names only by its state now belongs in it', async () => {
    const fake = fakeHub([item(1), item(2, { readAt: '2026-12-08T00:00:00.000Z' }), item(3)]);
    const { feed, ids } = feedOf(fake, { status: 'unread' });
    await feed.refresh();
    expect(ids()).toEqual(['3', '1']);
    fake.change(['2'], { readAt: null });
    await settled();
    expect(ids()).toEqual(['3', '2', '1']);
    feed.close();
  });

  it('keeps only its category, and a change to an item of another category reads nothing again', async () => {
    const fake = fakeHub([item(1, { category: 'a' }), item(2, { category: 'b' }), item(3, { category: 'a' })]);
    const { feed, ids } = feedOf(fake, { category: 'a' });
    await feed.refresh();
    expect(ids()).toEqual(['3', '1']);
    const reads = fake.queries.length;
    fake.change(['2'], { readAt: '2026-12-08T00:00:00.000Z' });
    fake.create(item(4, { category: 'b' }));
    fake.create(item(5, { category: 'a' }));
    await settled();
    expect(ids()).toEqual(['5', '3', '1']);
    expect(fake.queries.length).toBe(reads);
    feed.close();
  });

  it('never lets a page read before a change undo it: the events that came meanwhile are applied to the answer', async () => {
    const fake = fakeHub(range(1, 3));
    fake.hold();
    const { feed, ids } = feedOf(fake, { status: 'unread' });
    const first = feed.refresh();
    await settled();
    // The answer (3, 2, 1 unread) is computed; then 3 is read and 4 arrives before it is handed over.
    fake.change(['3'], { readAt: '2026-12-08T00:01:00.000Z' });
    fake.create(item(4));
    fake.release();
    await first;
    await settled();
    expect(ids()).toEqual(['4', '2', '1']);
    feed.close();
  });

  it('reads the first page again after a reset, keeping what was loaded beyond it', async () => {
    const fake = fakeHub(range(1, 6));
    const { feed, ids } = feedOf(fake);
    await feed.refresh();
    await feed.loadMore();
    expect(ids()).toEqual(['6', '5', '4', '3', '2', '1']);
    // Missed while away: 7 arrived and 5 was archived, and the events are gone.
    fake.stored.push(item(7));
    fake.stored.find((s) => s.id === '5')!.archivedAt = '2026-12-08T00:03:00.000Z';
    fake.reset();
    await settled();
    await settled();
    expect(ids()).toEqual(['7', '6', '4', '3', '2', '1']);
    expect(fake.queries.at(-1)).toEqual({ status: undefined, limit: 6 });
    feed.close();
  });

  it('says why a read failed, and reads again when the connection opens', async () => {
    const fake = fakeHub(range(1, 2));
    fake.fail({ code: 'network', message: 'unreachable' });
    const { feed, ids } = feedOf(fake);
    await feed.refresh();
    expect(feed.state).toMatchObject({ loaded: false, loading: false, error: { code: 'network' } });
    fake.fail(undefined);
    fake.status({ state: 'open', transport: 'websocket' });
    await settled();
    await settled();
    expect(feed.state).toMatchObject({ loaded: true, loading: false, error: undefined });
    expect(ids()).toEqual(['2', '1']);
    feed.close();
  });
});
