// A rejection of the client's calls as a ClientError value, for the live list
// and the hooks alike.

import type { ClientError } from '../client/index.ts';

/** A rejection of the client's calls as a ClientError (they reject with one; anything else is a failed request). */
export function toClientError(err: unknown): ClientError {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err as Error & ClientError;
  return { code: 'request_failed', message: err instanceof Error ? err.message : String(err) };
}
