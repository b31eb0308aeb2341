// What the bell's popover does with the keyboard, for the React bell and the
// custom element alike: focus moved in when it opens and kept there (Tab
// wraps around), Escape to close.

import type { UiElement, UiEvent } from './dom.ts';

const FOCUSABLE = 'a[href],button:not([disabled]),input:not([disabled]),select,textarea,[tabindex]:not([tabindex="-1"])';

/** The elements Tab visits in `container`, in order: those shown (a hidden "Load more" is not). */
export const focusablesIn = (container: UiElement): UiElement[] => [...container.querySelectorAll(FOCUSABLE)].filter((element) => element.getClientRects().length > 0);

/** Moves focus to the first element Tab visits in `container` (the container itself when there is none). */
export function focusFirst(container: UiElement): void {
  (focusablesIn(container)[0] ?? container).focus();
}

/** Keeps Tab and Shift+Tab inside `container`: past the last element to the first, and back. */
export function keepFocusIn(container: UiElement, event: UiEvent): void {
  if (event.key !== 'Tab') return;
  const all = focusablesIn(container);
  const first = all[0];
  const last = all[all.length - 1];
  const active = container.ownerDocument.activeElement;
  if (!first || !last) {
    event.preventDefault();
    return;
  }
  if (event.shiftKey && (active === first || !container.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !container.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}

/** Before an item's node goes (archived): focus moves to a neighbour's link, or to the popover, instead of falling out to the page. */
export function focusNeighbourOf(item: UiElement): void {
  const neighbour = (item.nextElementSibling ?? item.previousElementSibling)?.querySelector('.userhub-item__link');
  (neighbour ?? item.closest('.userhub-popover'))?.focus();
}

/** A bell's outline, drawn in currentColor. */
export const BELL_PATH = 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z';

/** What screen readers hear for the bell: its name and how many are unread. */
export const bellLabel = (unread: number | undefined): string => (unread ? `Notifications, ${unread} unread` : 'Notifications');

/** What the live region announces for items that arrived at the top of the feed. */
export const newItemsMessage = (titles: string[]): string =>
  titles.length === 1 ? `New notification: ${titles[0] ?? ''}` : `${titles.length} new notifications`;

/**
 * What arrived at the top of the feed since it was last drawn: `newest` is
 * the newest id seen so far (undefined before the first page; '0' for an
 * empty inbox). Returns the arrivals (none on the first page) and the newest id now.
 */
export function arrivals<T extends { id: string }>(items: T[], newest: string | undefined): { arrived: T[]; newest: string } {
  const top = items[0]?.id ?? '0';
  if (newest === undefined) return { arrived: [], newest: top };
  return { arrived: items.filter((item) => Number(item.id) > Number(newest)), newest: Number(top) > Number(newest) ? top : newest };
}
