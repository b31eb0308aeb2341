// The one shape every data hook returns, and what the hooks share to get
// there: errors as ClientError values, and a retry once the connection opens.

import { useEffect } from 'react';
import type { ClientError, HubClient } from '../client/index.ts';

export { toClientError } from '../inbox-ui/client-error.ts';

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

/** Calls `retry` when the connection opens while `failed`: what failed (the network, the origin) may work now. */
export function useRetryWhenOpen(hub: HubClient | null, failed: boolean, retry: () => void): void {
  useEffect(() => {
    if (!hub || !failed) return;
    return hub.on('status', (status) => {
      if (status.state === 'open') retry();
    });
  }, [hub, failed, retry]);
}
