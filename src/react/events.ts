// useHubEvents: a component's handler for the events of the provider's user.

import { useEffect, useRef } from 'react';
import type { HubEvent } from '../client/index.ts';
import { useProvidedHub } from './provider.ts';

/**
 * Calls `handler` with every event of the user that `filter` (a type, a type
 * prefix ending in `.`, or a test) lets through.
 *
 * @example
 * useHubEvents('message.', (event) => toast(String(event.data)));
 */
export function useHubEvents(filter: string | ((event: HubEvent) => boolean), handler: (event: HubEvent) => void): void {
  const hub = useProvidedHub('useHubEvents()');
  const latest = useRef({ filter, handler });
  latest.current = { filter, handler };
  useEffect(() => {
    if (!hub) return;
    return hub.on('event', (event) => {
      const { filter, handler } = latest.current;
      const matches = typeof filter === 'function' ? filter(event) : filter.endsWith('.') ? event.type.startsWith(filter) : event.type === filter;
      if (matches) handler(event);
    });
  }, [hub]);
}
