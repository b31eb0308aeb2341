// The feed inside <userhub-bell>'s popover, drawn from the live list's state:
// the same markup and class names as <NotificationFeed>, each item's node kept
// while the item is unchanged so focus stays where the user left it.

import type { InboxApi, InboxItem } from '../client/index.ts';
import { navigate, opensElsewhere, type UiDocument, type UiElement, type UiEvent, type UiNode } from '../inbox-ui/dom.ts';
import type { InboxFeed, InboxFeedState } from '../inbox-ui/inbox-feed.ts';
import { arrivals, focusNeighbourOf, newItemsMessage } from '../inbox-ui/popover.ts';
import { relativeTime } from '../inbox-ui/relative-time.ts';
import { build } from './dom-build.ts';

/** What `renderItem` returns: text, or a DOM node of the page's. */
export type RenderedItem = string | { readonly nodeType: number };

export interface FeedViewOptions {
  title: string;
  inbox: InboxApi;
  feed: () => InboxFeed | undefined;
  /** An item's content inside its link, in place of the default. */
  renderItem?: (item: InboxItem) => RenderedItem;
}

export interface FeedView {
  root: UiElement;
  update(state: InboxFeedState, unread: number): void;
}

export function createFeedView(doc: UiDocument, options: FeedViewOptions): FeedView {
  const { inbox } = options;
  const ignore = () => undefined;
  const titleId = `userhub-feed-title-${Math.random().toString(36).slice(2)}`;
  const readAll = build(doc, 'button', 'userhub-feed__read-all', { type: 'button' }, 'Mark all read');
  const live = build(doc, 'div', 'userhub-visually-hidden', { role: 'status', 'aria-live': 'polite' });
  const error = build(doc, 'p', 'userhub-feed__error', { role: 'alert' });
  const list = build(doc, 'ul', 'userhub-feed__list', { 'aria-labelledby': titleId });
  const empty = build(doc, 'p', 'userhub-feed__empty', {}, 'No notifications yet');
  const more = build(doc, 'button', 'userhub-feed__more', { type: 'button' }, 'Load more');
  const header = build(doc, 'div', 'userhub-feed__header', {}, build(doc, 'h2', 'userhub-feed__title', { id: titleId }, options.title), readAll);
  const root = build(doc, 'div', 'userhub-feed', {}, header, live, error, list, empty, more);
  /** Each shown item's node, and what it was drawn from. */
  const shown = new Map<string, { node: UiElement; drawn: string }>();
  let items: InboxItem[] = [];
  let newest: string | undefined;

  readAll.addEventListener('click', () => void inbox.markRead({ through: items[0]?.id ?? '0' }).catch(ignore));
  more.addEventListener('click', () => void options.feed()?.loadMore());

  const open = (item: InboxItem, event: UiEvent) => {
    const read = item.readAt === null ? inbox.markRead([item.id]).catch(ignore) : undefined;
    if (!item.url) return event.preventDefault();
    if (opensElsewhere(event)) return;
    // Followed once the read is written: leaving the page at once could cancel the request.
    event.preventDefault();
    void Promise.resolve(read).then(() => navigate(item.url!));
  };

  function draw(item: InboxItem): UiElement {
    const unread = item.readAt === null;
    const content = options.renderItem
      ? [options.renderItem(item) as UiNode | string]
      : [
          unread && build(doc, 'span', 'userhub-item__marker', { 'aria-hidden': 'true' }),
          unread && build(doc, 'span', 'userhub-visually-hidden', {}, 'Unread: '),
          build(doc, 'span', 'userhub-item__title', {}, item.title ?? item.type),
          item.body && build(doc, 'span', 'userhub-item__body', {}, item.body),
          build(doc, 'time', 'userhub-item__time', { datetime: item.createdAt }, relativeTime(item.createdAt)),
        ];
    const link = item.url
      ? build(doc, 'a', 'userhub-item__link', { href: item.url }, ...content)
      : build(doc, 'button', 'userhub-item__link', { type: 'button' }, ...content);
    link.addEventListener('click', (event) => open(item, event));
    const archive = build(doc, 'button', 'userhub-item__archive', { type: 'button' }, 'Archive', build(doc, 'span', 'userhub-visually-hidden', {}, ` ${item.title ?? item.type}`));
    const node = build(doc, 'li', unread ? 'userhub-item userhub-item--unread' : 'userhub-item', { 'data-id': item.id }, link, archive);
    archive.addEventListener('click', () => {
      focusNeighbourOf(node);
      void inbox.archive([item.id]).catch(ignore);
    });
    return node;
  }

  function update(state: InboxFeedState, unread: number): void {
    items = state.list.items;
    const active = doc.activeElement;
    // Gone first: a node moved to make room would lose focus.
    const kept = new Set(items.map((item) => item.id));
    for (const [id, entry] of shown) {
      if (kept.has(id)) continue;
      entry.node.remove();
      shown.delete(id);
    }
    items.forEach((item, at) => {
      const drawn = `${item.readAt}|${item.title}|${item.body}|${item.url}|${relativeTime(item.createdAt)}`;
      let entry = shown.get(item.id);
      if (!entry || entry.drawn !== drawn) {
        const node = draw(item);
        if (entry) {
          // Redrawn in place: focus goes back to the same control in the new node.
          const focused = [...entry.node.querySelectorAll('a,button')].find((control) => control === active);
          list.insertBefore(node, entry.node);
          entry.node.remove();
          if (focused) [...node.querySelectorAll(`.${focused.className.split(' ')[0]}`)][0]?.focus();
        }
        entry = { node, drawn };
        shown.set(item.id, entry);
      }
      if (list.children[at] !== entry.node) list.insertBefore(entry.node, list.children[at] ?? null);
    });
    if (state.loaded) {
      const found = arrivals(items, newest);
      newest = found.newest;
      if (found.arrived.length > 0) live.textContent = newItemsMessage(found.arrived.map((item) => item.title ?? ''));
    }
    error.hidden = !state.error;
    error.textContent = state.error ? `The notifications could not be read (${state.error.code}).` : '';
    list.hidden = items.length === 0;
    empty.hidden = items.length > 0 || state.loading || !!state.error;
    more.hidden = state.list.next === null;
    readAll.toggleAttribute('disabled', unread === 0);
    more.toggleAttribute('disabled', state.loading);
  }

  return { root, update };
}
