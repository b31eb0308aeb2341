// <NotificationFeed>: the inbox as a list a user reads, on useInboxItems and
// useInbox. In a module of its own, with the bell, so an application that
// imports only the hooks bundles none of it.

import { createElement as h, Fragment, useEffect, useId, useInsertionEffect, useRef, useState, type ReactNode } from 'react';
import type { InboxItem, InboxStatus } from '../client/index.ts';
import { asUi, navigate, opensElsewhere, pageDocument, type UiEvent } from '../inbox-ui/dom.ts';
import { arrivals, focusNeighbourOf, newItemsMessage } from '../inbox-ui/popover.ts';
import { relativeTime } from '../inbox-ui/relative-time.ts';
import { addStyles } from '../inbox-ui/styles.ts';
import { useInbox } from './inbox.ts';
import { useInboxItems } from './inbox-items.ts';

export interface NotificationFeedProps {
  /** Which items: all (not archived, the default), unread, unseen or archived. */
  status?: InboxStatus;
  category?: string;
  /** Items per page ("Load more" reads the next). Default 20. */
  pageSize?: number;
  /** An item's content inside its link (default: unread marker, title, body, relative time). */
  renderItem?: (item: InboxItem) => ReactNode;
  /** Called when an item is clicked, after it is marked read; return false to stay (its `url` is not followed). */
  onItemClick?: (item: InboxItem) => boolean | void;
  /** The heading. Default "Notifications". */
  title?: string;
  /** false: add no stylesheet (the application styles the class names itself). Default true. */
  styles?: boolean;
}

/** Adds the default stylesheet once, unless the application turned it off. */
export function useDefaultStyles(enabled: boolean): void {
  useInsertionEffect(() => {
    if (enabled) addStyles(pageDocument());
  }, [enabled]);
}

/** Re-renders every minute, so relative times move on. */
function useMinuteTick(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * The user's inbox, newest first: each item's title, body, relative time and
 * an unread marker; a click marks it read and follows its `url`; "Mark all
 * read", "Archive" and "Load more". New items are announced in a polite live
 * region. Below <HubProvider>.
 *
 * @example
 * <NotificationFeed pageSize={10} renderItem={(item) => <b>{item.title}</b>} />
 */
export function NotificationFeed({ status, category, pageSize, renderItem, onItemClick, title = 'Notifications', styles = true }: NotificationFeedProps) {
  useDefaultStyles(styles);
  const { data, loading, error, loadMore } = useInboxItems({ status, category, pageSize });
  const { inbox } = useInbox();
  const now = useMinuteTick();
  const titleId = useId();
  const [announcement, setAnnouncement] = useState('');
  const newest = useRef<string | undefined>(undefined);
  const items = data?.items;
  useEffect(() => {
    if (!items) return;
    const { arrived, newest: now } = arrivals(items, newest.current);
    newest.current = now;
    if (arrived.length > 0) setAnnouncement(newItemsMessage(arrived.map((item) => item.title ?? '')));
  }, [items]);

  const open = (item: InboxItem, event: UiEvent) => {
    const read = item.readAt === null ? inbox?.markRead([item.id]).catch(() => undefined) : undefined;
    if (onItemClick?.(item) === false || !item.url) return event.preventDefault();
    if (opensElsewhere(event)) return;
    // Followed once the read is written: leaving the page at once could cancel the request.
    event.preventDefault();
    void Promise.resolve(read).then(() => navigate(item.url!));
  };

  const entry = (item: InboxItem) => {
    const unread = item.readAt === null;
    const content = renderItem
      ? renderItem(item)
      : h(
          Fragment,
          null,
          unread && h('span', { className: 'userhub-item__marker', 'aria-hidden': true }),
          unread && h('span', { className: 'userhub-visually-hidden' }, 'Unread: '),
          h('span', { className: 'userhub-item__title' }, item.title ?? item.type),
          item.body && h('span', { className: 'userhub-item__body' }, item.body),
          h('time', { className: 'userhub-item__time', dateTime: item.createdAt }, relativeTime(item.createdAt, now)),
        );
    const onClick = (event: unknown) => open(item, event as UiEvent);
    return h(
      'li',
      { key: item.id, className: unread ? 'userhub-item userhub-item--unread' : 'userhub-item', 'data-id': item.id },
      item.url ? h('a', { className: 'userhub-item__link', href: item.url, onClick }, content) : h('button', { type: 'button', className: 'userhub-item__link', onClick }, content),
      h(
        'button',
        {
          type: 'button',
          className: 'userhub-item__archive',
          onClick: (event: { currentTarget: unknown }) => {
            const node = asUi(event.currentTarget)?.closest('.userhub-item');
            if (node) focusNeighbourOf(node);
            void inbox?.archive([item.id]).catch(() => undefined);
          },
        },
        'Archive',
        h('span', { className: 'userhub-visually-hidden' }, ` ${item.title ?? item.type}`),
      ),
    );
  };

  const unread = data?.counts?.unread ?? 0;
  return h(
    'div',
    { className: 'userhub-feed' },
    h(
      'div',
      { className: 'userhub-feed__header' },
      h('h2', { className: 'userhub-feed__title', id: titleId }, title),
      h('button', { type: 'button', className: 'userhub-feed__read-all', disabled: unread === 0, onClick: () => void inbox?.markRead({ through: items?.[0]?.id ?? '0' }).catch(() => undefined) }, 'Mark all read'),
    ),
    h('div', { className: 'userhub-visually-hidden', role: 'status', 'aria-live': 'polite' }, announcement),
    error && h('p', { className: 'userhub-feed__error', role: 'alert' }, `The notifications could not be read (${error.code}).`),
    items && items.length > 0
      ? h('ul', { className: 'userhub-feed__list', 'aria-labelledby': titleId }, items.map(entry))
      : !loading && !error && h('p', { className: 'userhub-feed__empty' }, 'No notifications yet'),
    data?.hasMore && h('button', { type: 'button', className: 'userhub-feed__more', disabled: loading, onClick: () => void loadMore() }, 'Load more'),
  );
}
