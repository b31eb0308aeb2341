// The framework-free custom element: `import 'userhub/elements'` defines
// <userhub-bell> (in a browser, once); the client it drives is the package's
// own `userhub/client`.

import { UserhubBellElement } from './userhub-bell.ts';

export { UserhubBellElement };

/** Defines <userhub-bell> unless the page already has it (or there is no custom element registry). */
export function defineUserhubBell(name = 'userhub-bell'): void {
  const registry = (globalThis as { customElements?: { get(name: string): unknown; define(name: string, element: unknown): void } }).customElements;
  if (registry && !registry.get(name)) registry.define(name, UserhubBellElement);
}

defineUserhubBell();
