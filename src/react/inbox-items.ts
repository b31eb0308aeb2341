// useInboxItems: the user's inbox as a live, paginated list for a feed or a
// popover, in the data hooks' shape.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { HubClient, InboxCounts, InboxItem } from '../client/index.ts';
import type { HubData } from './data.ts';
import { createInboxFeed, type InboxFeed, type InboxFeedState } from '../inbox-ui/inbox-feed.ts';
import type { InboxFilter } from '../inbox-ui/inbox-list.ts';
import { useProvidedHub } from './provider.ts';

export interface InboxItemsOptions extends InboxFilter {
  /** Items per page, 1–100. Default 20. */
  pageSize?: number;
}

export interface InboxItems {
  /** Newest first: the pages read so far, kept current by inbox events. */
  items: InboxItem[];
  /** The inbox's counts (over items not archived, whatever the filter), once known. */
  counts: InboxCounts | undefined;
  /** Whether older items than these are left to `loadMore()`. */
  hasMore: boolean;
}

/**
 * The user's inbox items, newest first, filtered by `status` (unread, unseen,
 * all: not archived, the default; archived) and `category`. A new item shows
 * at the top as its `inbox.created` event arrives, a change (read, archived)
 * as its `inbox.changed` arrives; after a reset the first page is read again.
 * `loadMore()` appends the next page, `refresh()` reads the first again.
 * `loading` is true while a page is read; `error` says why the last read
 * failed (it is read again when the connection next opens).
 *
 * @example
 * const { data, loadMore } = useInboxItems({ status: 'unread' });
 * return <ul>{data?.items.map((item) => <li key={item.id}>{item.title}</li>)}</ul>;
 */
export function useInboxItems(options: InboxItemsOptions = {}): HubData<InboxItems> & { loadMore(): Promise<void>; refresh(): Promise<void> } {
  const hub = useProvidedHub('useInboxItems()');
  const { status, category, pageSize = 20 } = options;
  const key = `${status}|${category}|${pageSize}`;
  // The feed's state with the client and options it is for: until the effect for new ones has run, it is not theirs.
  const [held, setHeld] = useState<{ hub: HubClient; key: string; state: InboxFeedState } | undefined>(undefined);
  const [counts, setCounts] = useState<InboxCounts | undefined>(hub?.inbox.counts);
  const feed = useRef<InboxFeed | undefined>(undefined);
  useEffect(() => {
    if (!hub) return;
    const created = createInboxFeed(hub, { status, category, pageSize }, (state) => setHeld({ hub, key, state }));
    feed.current = created;
    setHeld({ hub, key, state: created.state });
    setCounts(hub.inbox.counts);
    const stop = hub.on('inbox', setCounts);
    return () => {
      stop();
      created.close();
      feed.current = undefined;
    };
  }, [hub, key]);
  const loadMore = useCallback(() => feed.current?.loadMore() ?? Promise.resolve(), []);
  const refresh = useCallback(() => feed.current?.refresh() ?? Promise.resolve(), []);
  const state = held && held.hub === hub && held.key === key ? held.state : undefined;
  const data = state?.loaded ? { items: state.list.items, counts, hasMore: state.list.next !== null } : undefined;
  return { data, loading: state?.loading ?? true, error: state?.error, loadMore, refresh };
}
