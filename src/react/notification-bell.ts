// <NotificationBell>: the unread badge that opens the feed in a popover,
// keyboard operable, with focus kept in the popover while it is open.

import { createElement as h, useCallback, useEffect, useId, useRef, useState } from 'react';
import { asUi, type UiElement, type UiEvent } from '../inbox-ui/dom.ts';
import { bellLabel, BELL_PATH, focusFirst, keepFocusIn } from '../inbox-ui/popover.ts';
import { useInbox } from './inbox.ts';
import { NotificationFeed, useDefaultStyles, type NotificationFeedProps } from './notification-feed.ts';

export type NotificationBellProps = NotificationFeedProps;

/**
 * A button with the unread count as its badge; it opens the feed in a popover
 * (a dialog), moves focus into it, keeps it there, and gives it back to the
 * bell when Escape (or the bell, or a click outside) closes it. Opening it
 * marks what is listed seen. Takes <NotificationFeed>'s props.
 *
 * @example
 * <HubProvider options={{ url, getToken }}><NotificationBell pageSize={10} /></HubProvider>
 */
export function NotificationBell(props: NotificationBellProps) {
  useDefaultStyles(props.styles ?? true);
  const { data: counts, inbox } = useInbox();
  const [open, setOpen] = useState(false);
  const popoverId = useId();
  const root = useRef<UiElement | null>(null);
  const button = useRef<UiElement | null>(null);
  const popover = useRef<UiElement | null>(null);

  const close = useCallback((refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  }, []);

  useEffect(() => {
    if (!open || !popover.current) return;
    focusFirst(popover.current);
    if (counts?.unseen) inbox?.markSeen().catch(() => undefined);
    // A click outside the bell closes it, leaving focus where the click put it.
    const doc = popover.current.ownerDocument;
    const outside = (event: UiEvent) => {
      if (!root.current?.contains(event.target)) close(false);
    };
    doc.addEventListener('mousedown', outside);
    return () => doc.removeEventListener('mousedown', outside);
  }, [open]);

  const onKeyDown = (event: unknown) => {
    const key = event as UiEvent;
    if (key.key === 'Escape') {
      key.preventDefault();
      close(true);
    } else if (popover.current) keepFocusIn(popover.current, key);
  };

  const unread = counts?.unread ?? 0;
  return h(
    'div',
    { className: 'userhub-bell', ref: (node: unknown) => void (root.current = asUi(node)) },
    h(
      'button',
      {
        type: 'button',
        className: 'userhub-bell__button',
        'aria-label': bellLabel(unread),
        'aria-haspopup': 'dialog',
        'aria-expanded': open,
        'aria-controls': popoverId,
        ref: (node: unknown) => void (button.current = asUi(node)),
        onClick: () => (open ? close(true) : setOpen(true)),
        onKeyDown: (event: unknown) => open && (event as UiEvent).key === 'Escape' && close(true),
      },
      h('svg', { viewBox: '0 0 24 24', width: 20, height: 20, 'aria-hidden': true, focusable: false }, h('path', { d: BELL_PATH, fill: 'currentColor' })),
      unread > 0 && h('span', { className: 'userhub-bell__badge', 'aria-hidden': true }, unread > 99 ? '99+' : String(unread)),
    ),
    h(
      'div',
      { id: popoverId, className: 'userhub-popover', role: 'dialog', tabIndex: -1, 'aria-label': props.title ?? 'Notifications', hidden: !open, onKeyDown, ref: (node: unknown) => void (popover.current = asUi(node)) },
      open && h(NotificationFeed, props),
    ),
  );
}
