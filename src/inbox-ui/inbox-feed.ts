// The inbox as a live listing, without React: pages read through the
// client, inbox events applied as they come, the first page read again after
// a reset (or when an event does not say enough). Each read replays the events
// that came while it was under way, so an answer read before a change never
// undoes it.

import type { ClientError, HubClient, HubEvent } from '../client/index.ts';
import { toClientError } from './client-error.ts';
import { applyInboxEvent, EMPTY_LIST, withFirstPage, withNextPage, type InboxFilter, type InboxList } from './inbox-list.ts';

/** Most items one GET /v1/inbox answers (MAX_INBOX_IDS): a first page read again is at most this long. */
const MAX_PAGE = 100;

export interface InboxFeedState {
  list: InboxList;
  /** Whether the first page was read at least once. */
  loaded: boolean;
  loading: boolean;
  error: ClientError | undefined;
}

export interface InboxFeed {
  readonly state: InboxFeedState;
  /** Reads the next (older) page; nothing when everything is loaded or a read of it is under way. */
  loadMore(): Promise<void>;
  /** Reads the first page again (as long as what is loaded, up to 100); what is loaded beyond it stays. */
  refresh(): Promise<void>;
  close(): void;
}

export function createInboxFeed(hub: Pick<HubClient, 'on' | 'inbox'>, filter: InboxFilter & { pageSize: number }, onChange: (state: InboxFeedState) => void): InboxFeed {
  let state: InboxFeedState = { list: EMPTY_LIST, loaded: false, loading: true, error: undefined };
  let closed = false;
  /** Inbox events received while any read was under way, and how many are. */
  let log: HubEvent[] = [];
  let reads = 0;
  let firstPage: Promise<void> | undefined;
  let firstPageAgain = false;
  let nextPage: Promise<void> | undefined;

  const set = (patch: Partial<InboxFeedState>) => {
    if (closed) return;
    state = { ...state, ...patch };
    onChange(state);
  };
  const replay = (list: InboxList, events: HubEvent[]) => events.reduce((at, event) => applyInboxEvent(at, event, filter).list, list);

  async function read<T>(request: () => Promise<T>, land: (answer: T, since: HubEvent[]) => void): Promise<void> {
    reads++;
    const start = log.length;
    set({ loading: true });
    try {
      const answer = await request();
      land(answer, log.slice(start));
      set({ error: undefined });
    } catch (err) {
      set({ error: toClientError(err) });
    } finally {
      if (--reads === 0) log = [];
      set({ loading: reads > 0 });
    }
  }

  /** Reads the first page; `again`: one under way may have been answered before what asks for this read, so read once more after it. */
  function readFirstPage(again: boolean): Promise<void> {
    if (firstPage) {
      firstPageAgain ||= again;
      return firstPage;
    }
    const limit = Math.min(MAX_PAGE, Math.max(filter.pageSize, state.list.items.length));
    firstPage = read(
      () => hub.inbox.list({ status: filter.status, limit }),
      (page, since) => set({ list: replay(withFirstPage(state.list, page, filter), since), loaded: true }),
    ).finally(() => {
      firstPage = undefined;
      if (firstPageAgain && !closed) {
        firstPageAgain = false;
        void readFirstPage(false);
      }
    });
    return firstPage;
  }

  function loadMore(): Promise<void> {
    const before = state.list.next;
    if (!state.loaded || before === null) return Promise.resolve();
    nextPage ??= read(
      () => hub.inbox.list({ status: filter.status, before, limit: filter.pageSize }),
      (page, since) => {
        // A first page read meanwhile moved where the list goes on: this page is not the next one any more.
        if (state.list.next === before) set({ list: replay(withNextPage(state.list, page, before, filter), since) });
      },
    ).finally(() => (nextPage = undefined));
    return nextPage;
  }

  const stops = [
    hub.on('event', (event) => {
      if (event.type !== 'inbox.created' && event.type !== 'inbox.changed') return;
      if (reads > 0) log.push(event);
      const { list, refetch } = applyInboxEvent(state.list, event, filter);
      set({ list });
      if (refetch) void readFirstPage(true);
    }),
    // Events were missed (the resume point was no longer retained): what is shown may be stale.
    hub.on('reset', () => void readFirstPage(true)),
    hub.on('status', (status) => {
      if (status.state === 'open' && state.error) void readFirstPage(false);
    }),
  ];
  void readFirstPage(false);

  return {
    get state() {
      return state;
    },
    loadMore,
    // A read under way started before this call, and the events since are applied to its answer.
    refresh: () => readFirstPage(false),
    close() {
      closed = true;
      for (const stop of stops) stop();
    },
  };
}
