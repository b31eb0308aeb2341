// useInbox: the inbox's counts as they change (the badge), and the calls that
// change the inbox.

import { useCallback, useEffect, useState } from 'react';
import type { ClientError, InboxApi, InboxCounts } from '../client/index.ts';
import { toClientError, useRetryWhenOpen, type HubData } from './data.ts';
import { useProvidedHub } from './provider.ts';

/**
 * The user's inbox: `data` its counts as they change (moved on by every inbox
 * event, on every tab), and `inbox` the calls that change it (undefined until
 * the provider's client is open). A failed read of the counts sets `error`.
 *
 * @example
 * const { data: counts, inbox } = useInbox();
 * return <button onClick={() => inbox?.markSeen()}>🔔 {counts?.unread ?? 0}</button>;
 */
export function useInbox(): HubData<InboxCounts> & { inbox: InboxApi | undefined } {
  const hub = useProvidedHub('useInbox()');
  const [counts, setCounts] = useState<InboxCounts | undefined>(hub?.inbox.counts);
  const [error, setError] = useState<ClientError | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!hub) return;
    setCounts(hub.inbox.counts);
    setError(undefined);
    const stop = hub.on('inbox', (next) => {
      setCounts(next);
      setError(undefined);
    });
    // The client reads the counts when it opens, but says nothing if that fails: this read does.
    if (hub.inbox.counts === undefined) hub.inbox.list({ limit: 1 }).catch((err: unknown) => setError(toClientError(err)));
    return stop;
  }, [hub, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  useRetryWhenOpen(hub, error !== undefined, retry);
  return { data: counts, loading: counts === undefined && error === undefined, error, inbox: hub?.inbox };
}
