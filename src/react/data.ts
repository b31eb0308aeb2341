// The one shape every data hook returns, and what the hooks share to get
// there: errors as ClientError values, and a retry once the connection opens.

import { useEffect } from 'react';
import type { ClientError, HubClient } from '../client/index.ts';

/**
 * What a data hook returns: `data` once read (undefined before), `loading`
 * while a read it made is under way, `error` when the last read failed (the
 * hook reads again when the connection next opens).
 */
export interface HubData<T> {
  data: T | undefined;
  loading: boolean;
  error: ClientError | undefined;
}

/** A rejection of the client's calls as a ClientError (they reject with one; anything else is a failed request). */
export function toClientError(err: unknown): ClientError {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err as Error & ClientError;
  return { code: 'request_failed', message: err instanceof Error ? err.message : String(err) };
}

/** Calls `retry` when the connection opens while `failed`: what failed (the network, the origin) may work now. */
export function useRetryWhenOpen(hub: HubClient | null, failed: boolean, retry: () => void): void {
  useEffect(() => {
    if (!hub || !failed) return;
    return hub.on('status', (status) => {
      if (status.state === 'open') retry();
    });
  }, [hub, failed, retry]);
}
