// <userhub-bell>: the notification bell as a custom element, on the client
// alone (no framework): the unread badge, the feed in a popover, and the same
// keyboard, focus and ARIA behaviour as React's <NotificationBell>.

import { connect, type HubClient, type InboxItem, type InboxStatus } from '../client/index.ts';
import type { UiElement, UiEvent } from '../inbox-ui/dom.ts';
import { createInboxFeed, type InboxFeed } from '../inbox-ui/inbox-feed.ts';
import { bellLabel, BELL_PATH, focusFirst, keepFocusIn } from '../inbox-ui/popover.ts';
import { addStyles } from '../inbox-ui/styles.ts';
import { build } from './dom-build.ts';
import { createFeedView, type FeedView, type RenderedItem } from './feed-view.ts';

const sameValues = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((value, i) => value === b[i]);

// Outside a browser (the package imported by Node or a Worker) there is no HTMLElement: the class is defined, never used.
const Base = ((globalThis as { HTMLElement?: unknown }).HTMLElement ?? class {}) as new () => UiElement;

/**
 * `<userhub-bell url="https://hub.example.com" token-url="/api/hub-token">`:
 * the user's unread count on a bell that opens their feed. Attributes: `url`
 * and `token-url` (a same-origin endpoint answering the client token as text),
 * `page-size`, `status`, `category`, `label` (default "Notifications"),
 * `no-styles` (add no stylesheet). Properties: `client` (a client of the
 * application's own, used instead of one the element connects, and not closed
 * by it), `getToken` (in place of `token-url`), `renderItem`.
 *
 * @example
 * import 'userhub/elements';
 * document.querySelector('userhub-bell').getToken = () => fetch('/api/hub-token').then((r) => r.text());
 */
export class UserhubBellElement extends Base {
  static observedAttributes = ['url', 'token-url', 'page-size', 'status', 'category', 'label'];
  /** An item's content inside its link, in place of the default (title, body, time). */
  renderItem: ((item: InboxItem) => RenderedItem) | undefined;
  #client: HubClient | undefined;
  #getToken: ((options: { refresh: boolean }) => string | Promise<string>) | undefined;
  /** What the element runs on while connected: the client, whether it opened it, and what to undo. */
  #running: { hub: HubClient; owned: boolean; config: unknown[]; stops: Array<() => void> } | undefined;
  #button: UiElement | undefined;
  #badge: UiElement | undefined;
  #popover: UiElement | undefined;
  #open: { feed: InboxFeed; view: FeedView; timer: ReturnType<typeof setInterval> } | undefined;

  /** A client of the application's own: the element uses it and never closes it. */
  get client(): HubClient | undefined {
    return this.#client;
  }
  set client(hub: HubClient | undefined) {
    this.#client = hub;
    this.#restart();
  }
  /** As connect()'s `getToken`, in place of the `token-url` attribute. */
  get getToken() {
    return this.#getToken;
  }
  set getToken(getToken) {
    this.#getToken = getToken;
    this.#restart();
  }

  connectedCallback(): void {
    if (!this.hasAttribute('no-styles')) addStyles(this.ownerDocument);
    if (!this.#button) this.#draw();
    this.#start();
    this.#update();
  }

  disconnectedCallback(): void {
    this.#stop();
  }

  attributeChangedCallback(): void {
    if (this.#button) this.#popover!.setAttribute('aria-label', this.#label());
    this.#restart();
  }

  #label = () => this.getAttribute('label') ?? 'Notifications';

  #draw(): void {
    const doc = this.ownerDocument;
    const id = `userhub-popover-${Math.random().toString(36).slice(2)}`;
    const icon = build(doc, 'svg', '', { viewBox: '0 0 24 24', width: '20', height: '20', 'aria-hidden': 'true', focusable: 'false' }, build(doc, 'path', '', { d: BELL_PATH, fill: 'currentColor' }));
    this.#badge = build(doc, 'span', 'userhub-bell__badge', { 'aria-hidden': 'true' });
    this.#badge.hidden = true;
    this.#button = build(doc, 'button', 'userhub-bell__button', { type: 'button', 'aria-label': bellLabel(0), 'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': id }, icon, this.#badge);
    this.#popover = build(doc, 'div', 'userhub-popover', { id, role: 'dialog', 'aria-label': this.#label(), tabindex: '-1' });
    this.#popover.hidden = true;
    this.classList.toggle('userhub-bell', true);
    this.replaceChildren(this.#button, this.#popover);
    this.#button.addEventListener('click', () => (this.#open ? this.#close(true) : this.#show()));
    this.#button.addEventListener('keydown', (event) => this.#open && event.key === 'Escape' && this.#close(true));
    this.#popover.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.#close(true);
      } else keepFocusIn(this.#popover!, event);
    });
  }

  #start(): void {
    if (this.#running || !this.isConnected) return;
    const url = this.getAttribute('url');
    const tokenUrl = this.getAttribute('token-url');
    const getToken = this.#getToken ?? (tokenUrl ? () => fetch(tokenUrl).then((answer) => answer.text()) : undefined);
    const hub = this.#client ?? (url && getToken ? connect({ url, getToken }) : undefined);
    if (!hub) return;
    const running = { hub, owned: hub !== this.#client, config: this.#config(), stops: [] as Array<() => void> };
    this.#running = running;
    running.stops.push(hub.on('inbox', () => this.#update()));
    // A click outside the bell closes it, leaving focus where the click put it.
    const outside = (event: UiEvent) => {
      if (this.#open && !this.contains(event.target)) this.#close(false);
    };
    this.ownerDocument.addEventListener('mousedown', outside);
    running.stops.push(() => this.ownerDocument.removeEventListener('mousedown', outside));
    this.#update();
  }

  #stop(): void {
    if (this.#open) this.#close(false);
    const running = this.#running;
    this.#running = undefined;
    if (!running) return;
    for (const stop of running.stops) stop();
    if (running.owned) running.hub.close();
  }

  #restartQueued = false;

  /** Connects again with what changed, once for every change made in the same task (the attributes of a new element). */
  #restart(): void {
    if (this.#restartQueued) return;
    this.#restartQueued = true;
    queueMicrotask(() => {
      this.#restartQueued = false;
      if (this.#running && sameValues(this.#running.config, this.#config())) return;
      this.#stop();
      this.#start();
      this.#update();
    });
  }

  /** What the element runs on: a change to any of it means connecting again. */
  #config = (): unknown[] => [...UserhubBellElement.observedAttributes.map((name) => this.getAttribute(name)), this.#client, this.#getToken];

  #unread = () => this.#running?.hub.inbox.counts?.unread ?? 0;

  #update(): void {
    const unread = this.#unread();
    this.#button?.setAttribute('aria-label', bellLabel(unread));
    if (this.#badge) {
      this.#badge.hidden = unread === 0;
      this.#badge.textContent = unread > 99 ? '99+' : String(unread);
    }
    if (this.#open) this.#open.view.update(this.#open.feed.state, unread);
  }

  #show(): void {
    const running = this.#running;
    if (!running || this.#open) return;
    const { hub } = running;
    const pageSize = Number(this.getAttribute('page-size') ?? 20) || 20;
    const filter = { status: (this.getAttribute('status') ?? undefined) as InboxStatus | undefined, category: this.getAttribute('category') ?? undefined, pageSize };
    const view = createFeedView(this.ownerDocument, { title: this.#label(), inbox: hub.inbox, feed: () => this.#open?.feed, renderItem: this.renderItem });
    const feed = createInboxFeed(hub, filter, (state) => view.update(state, this.#unread()));
    // Relative times move on while the feed is open.
    const timer = setInterval(() => this.#update(), 60_000);
    this.#open = { feed, view, timer };
    view.update(feed.state, this.#unread());
    this.#popover!.replaceChildren(view.root);
    this.#popover!.hidden = false;
    this.#button!.setAttribute('aria-expanded', 'true');
    focusFirst(this.#popover!);
    if (hub.inbox.counts?.unseen) hub.inbox.markSeen().catch(() => undefined);
  }

  #close(refocus: boolean): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    open.feed.close();
    clearInterval(open.timer);
    this.#popover!.hidden = true;
    this.#popover!.replaceChildren();
    this.#button!.setAttribute('aria-expanded', 'false');
    if (refocus) this.#button!.focus();
  }
}

declare global {
  // document.querySelector('userhub-bell') and createElement('userhub-bell') are typed as the element.
  interface HTMLElementTagNameMap {
    'userhub-bell': UserhubBellElement;
  }
}
