// The DOM the inbox UI uses, typed here: the project's type-check has no DOM
// library (its globals clash with the Workers types), so the few members the
// bell and the feed touch are declared under names of their own, and the
// browser's objects are taken as these types in this one place.

export interface UiEvent {
  readonly target: unknown;
  readonly key: string;
  readonly shiftKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly button: number;
  preventDefault(): void;
}

export interface UiNode {
  textContent: string | null;
  readonly ownerDocument: UiDocument;
  contains(other: unknown): boolean;
  addEventListener(type: string, listener: (event: UiEvent) => void, capture?: boolean): void;
  removeEventListener(type: string, listener: (event: UiEvent) => void, capture?: boolean): void;
}

export interface UiElement extends UiNode {
  id: string;
  className: string;
  hidden: boolean;
  readonly isConnected: boolean;
  readonly children: ArrayLike<UiElement>;
  append(...nodes: Array<UiNode | string>): void;
  replaceChildren(...nodes: Array<UiNode | string>): void;
  insertBefore(node: UiNode, child: UiNode | null): void;
  remove(): void;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  removeAttribute(name: string): void;
  hasAttribute(name: string): boolean;
  toggleAttribute(name: string, force?: boolean): boolean;
  querySelectorAll(selectors: string): Iterable<UiElement>;
  querySelector(selectors: string): UiElement | null;
  closest(selectors: string): UiElement | null;
  readonly nextElementSibling: UiElement | null;
  readonly previousElementSibling: UiElement | null;
  readonly classList: { toggle(name: string, force?: boolean): boolean };
  focus(): void;
  getClientRects(): ArrayLike<unknown>;
}

export interface UiDocument extends UiNode {
  readonly head: UiElement;
  readonly activeElement: unknown;
  getElementById(id: string): UiElement | null;
  createElement(tag: string): UiElement;
  createElementNS(namespace: string, tag: string): UiElement;
}

/** A node React or the browser handed over, as the DOM this code uses. */
export const asUi = (node: unknown): UiElement | null => (node ?? null) as UiElement | null;

const browser = globalThis as unknown as { document: UiDocument; location: { assign(url: string): void } };

/** The page's document. */
export const pageDocument = (): UiDocument => browser.document;

/** Follows a link the way a click on it would have. */
export const navigate = (url: string): void => browser.location.assign(url);

/** A click the browser handles itself (a new tab or window): the page must not navigate instead. */
export const opensElsewhere = (event: UiEvent): boolean => event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey;
