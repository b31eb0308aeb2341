// The user's inbox from the client: list and change items over HTTP, counts
// kept from the stream's inbox events (ordered, so every tab converges), and
// acknowledgements of the inbox items the application was handed.

import type { InboxChangeResult, InboxCounts, InboxPage, InboxStatus } from '../protocol/wire.ts';
import { callApi, type ApiContext } from './api.ts';
import type { HubEvent } from './frames.ts';

export type { InboxChangeResult, InboxChanged, InboxCounts, InboxCreated, InboxItem, InboxPage, InboxStatus } from '../protocol/wire.ts';

export interface InboxApi {
  /** A page of items, newest first (`before`: the previous page's `next`). */
  list(query?: { status?: InboxStatus; before?: string; limit?: number }): Promise<InboxPage>;
  /** The bell was opened: every item up to `through` (default: the newest event received) is seen. */
  markSeen(through?: string): Promise<InboxChangeResult>;
  markRead(ids: string[] | { through: string }): Promise<InboxChangeResult>;
  markUnread(ids: string[]): Promise<InboxChangeResult>;
  archive(ids: string[]): Promise<InboxChangeResult>;
  /** The latest counts, once known. */
  readonly counts: InboxCounts | undefined;
}

interface InboxContext extends ApiContext {
  lastId(): string | undefined;
  onCounts?: (counts: InboxCounts) => void;
}

/** Types of the events that carry the inbox's counts. */
const INBOX_EVENTS = new Set(['inbox.created', 'inbox.changed']);

export interface ClientInbox {
  api: InboxApi;
  /** Every event handed to the application: inbox events move the counts on. */
  observe(event: HubEvent): void;
  /** Reads the counts as they are now (on connect); an inbox event received meanwhile wins. */
  refresh(): void;
}

export function createClientInbox(context: InboxContext): ClientInbox {
  let counts: InboxCounts | undefined;
  /** Bumped by each inbox event: an HTTP answer read before one is older than it. */
  let seenEvents = 0;

  const setCounts = (next: InboxCounts) => {
    counts = next;
    context.onCounts?.(next);
  };

  const call = <T>(path: string, init: Parameters<typeof callApi>[2]) => callApi<T>(context, path, init);

  async function list(query: { status?: InboxStatus; before?: string; limit?: number } = {}): Promise<InboxPage> {
    const before = seenEvents;
    const page = await call<InboxPage>('v1/inbox', {
      query: { status: query.status, before: query.before, limit: query.limit === undefined ? undefined : String(query.limit) },
    });
    if (seenEvents === before) setCounts(page.counts);
    return page;
  }

  const change = (action: string, body: unknown) => call<InboxChangeResult>(`v1/inbox/${action}`, { method: 'POST', body });

  return {
    api: {
      list,
      markSeen: (through) => change('seen', { through: through ?? context.lastId() ?? '0' }),
      markRead: (ids) => change('read', Array.isArray(ids) ? { ids } : ids),
      markUnread: (ids) => change('unread', { ids }),
      archive: (ids) => change('archive', { ids }),
      get counts() {
        return counts;
      },
    },
    observe(event) {
      if (!INBOX_EVENTS.has(event.type)) return;
      seenEvents++;
      setCounts((event.data as { counts: InboxCounts }).counts);
    },
    refresh() {
      list({ limit: 1 }).catch(() => undefined);
    },
  };
}
