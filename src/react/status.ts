// useHubStatus: the connection's status as it changes, with the last error
// the client reported, which outlives the status that carried it.

import { useEffect, useState } from 'react';
import type { ClientError, HubClient, Status } from '../client/index.ts';
import { errorOf, lastErrorOf, useProvidedHub } from './provider.ts';

/**
 * The client's status, or `idle` before the provider has opened its client,
 * and `lastError`: the last error any status carried (a network failure, the
 * origin or the token refused), kept after the state moves on (a reconnect
 * that opened), until the provider opens a client again.
 */
export type HubStatus = (Status | { state: 'idle' }) & { lastError: ClientError | undefined };

const IDLE: HubStatus = { state: 'idle', lastError: undefined };

const read = (hub: HubClient | null): HubStatus => (hub ? { ...hub.status, lastError: errorOf(hub.status) ?? lastErrorOf(hub) } : IDLE);

/**
 * The connection's status, as it changes.
 *
 * @example
 * const status = useHubStatus();
 * if (status.lastError?.code === 'origin_refused') return <p>Add this site to ALLOWED_ORIGINS.</p>;
 */
export function useHubStatus(): HubStatus {
  const hub = useProvidedHub('useHubStatus()');
  const [status, setStatus] = useState<HubStatus>(() => read(hub));
  useEffect(() => {
    setStatus(read(hub));
    if (!hub) return;
    return hub.on('status', () => setStatus(read(hub)));
  }, [hub]);
  return status;
}
