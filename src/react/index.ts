// React bindings for the client: `import { HubProvider, useJob } from 'userhub/react'`.
// One client per <HubProvider>, opened when it mounts and closed when it
// unmounts; the hooks subscribe to it and unsubscribe on unmount. React is a
// peer dependency; the client is the package's own `userhub/client`.

import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { connect, type ConnectOptions, type HubClient, type HubEvent, type InboxApi, type InboxCounts, type Job, type Status } from '../client/index.ts';

const HubContext = createContext<HubClient | null>(null);

export interface HubProviderProps {
  /**
   * As for connect(); read when the provider mounts (change `key` to reconnect
   * with others). When `getToken` starts returning another user's token (a
   * logout and a login without a reload), the provider connects again for that
   * user by itself, from now: nothing of the old user's client is carried over.
   */
  options: ConnectOptions;
  children?: ReactNode;
}

/** Holds one connection for everything below it. */
export function HubProvider({ options, children }: HubProviderProps) {
  const [hub, setHub] = useState<HubClient | null>(null);
  const initial = useRef(options);
  useEffect(() => {
    let client: HubClient;
    let unsubscribe: () => void;
    const open = (connectOptions: ConnectOptions) => {
      client = connect(connectOptions);
      setHub(client);
      unsubscribe = client.on('status', (status) => {
        if (status.state !== 'failed' || status.error.code !== 'user_changed') return;
        unsubscribe();
        // A new user starts a new client from getToken: neither the old user's fixed token nor its resume point.
        open({ ...initial.current, token: undefined, lastId: undefined });
      });
    };
    open(initial.current);
    return () => {
      unsubscribe();
      client.close();
      setHub(null);
    };
  }, []);
  return createElement(HubContext.Provider, { value: hub }, children);
}

/** The provider's client; null before it connected (and outside a provider). */
export function useHub(): HubClient | null {
  return useContext(HubContext);
}

/** The connection's status, as it changes. */
export function useHubStatus(): Status | undefined {
  const hub = useHub();
  const [status, setStatus] = useState<Status | undefined>(hub?.status);
  useEffect(() => {
    if (!hub) return;
    setStatus(hub.status);
    return hub.on('status', setStatus);
  }, [hub]);
  return status;
}

/** Calls `handler` with every event of the user that `filter` (a type, a type prefix ending in `.`, or a test) lets through. */
export function useHubEvents(filter: string | ((event: HubEvent) => boolean), handler: (event: HubEvent) => void): void {
  const hub = useHub();
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

/** A job's live state: undefined while it is read, null while there is no such job, then every change to the final state. */
export function useJob(jobId: string): Job | null | undefined {
  const hub = useHub();
  const [job, setJob] = useState<Job | null | undefined>(undefined);
  useEffect(() => {
    if (!hub) return;
    setJob(undefined);
    return hub.watchJob(jobId, setJob);
  }, [hub, jobId]);
  return job;
}

/** The user's inbox: its counts as they change, and the calls that change it. */
export function useInbox(): { counts: InboxCounts | undefined; inbox: InboxApi | undefined } {
  const hub = useHub();
  const [counts, setCounts] = useState<InboxCounts | undefined>(hub?.inbox.counts);
  useEffect(() => {
    if (!hub) return;
    setCounts(hub.inbox.counts);
    return hub.on('inbox', setCounts);
  }, [hub]);
  return { counts, inbox: hub?.inbox };
}
