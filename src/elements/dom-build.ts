// Building the element's DOM by hand: an element with its class and
// attributes, without innerHTML (item titles are the publisher's text).

import type { UiDocument, UiElement, UiNode } from '../inbox-ui/dom.ts';

/** `<tag class=className …attributes>children</tag>` in `doc`. */
export function build(doc: UiDocument, tag: string, className: string, attributes: Record<string, string> = {}, ...children: Array<UiNode | string | false | null | undefined>): UiElement {
  const element = tag === 'svg' || tag === 'path' ? doc.createElementNS('http://www.w3.org/2000/svg', tag) : doc.createElement(tag);
  if (className) element.setAttribute('class', className);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== false && child !== null && child !== undefined) element.append(child);
  return element;
}
