// <HubProvider>: one client for everything below it, opened when it mounts and
// closed when it unmounts, and opened again for a new user. It also keeps each
// client's last error, so a status hook mounted later still sees it.

import { createContext, createElement, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { connect, type ClientError, type ConnectOptions, type HubClient, type Status } from '../client/index.ts';

/** undefined: no provider above; null: a provider whose client is not open yet. */
const HubContext = createContext<HubClient | null | undefined>(undefined);

/** The last error each provider's client reported in its status, kept after the status moves on. */
const lastErrors = new WeakMap<HubClient, ClientError>();

export const lastErrorOf = (hub: HubClient): ClientError | undefined => lastErrors.get(hub);

/** The error a status carries, if any. */
export const errorOf = (status: Status): ClientError | undefined => ('error' in status ? status.error : undefined);

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

/**
 * Holds one connection for everything below it.
 *
 * @example
 * <HubProvider options={{ url: 'https://hub.example.com', getToken }}><Bell /></HubProvider>
 */
export function HubProvider({ options, children }: HubProviderProps) {
  const [hub, setHub] = useState<HubClient | null>(null);
  const initial = useRef(options);
  useEffect(() => {
    let client: HubClient;
    let unsubscribe: () => void;
    const open = (connectOptions: ConnectOptions) => {
      client = connect(connectOptions);
      const opened = client;
      setHub(client);
      unsubscribe = client.on('status', (status) => {
        const error = errorOf(status);
        if (error) lastErrors.set(opened, error);
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
  return useContext(HubContext) ?? null;
}

/**
 * The provider's client for a hook that needs one: null before the client is
 * open, and an error outside a provider (where the hook could never work).
 */
export function useProvidedHub(hook: string): HubClient | null {
  const hub = useContext(HubContext);
  if (hub === undefined) throw new Error(`${hook} must be called in a component below <HubProvider>.`);
  return hub;
}
