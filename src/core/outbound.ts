// Outbound requests the service makes on its own (Web Push, receipts): never
// followed through a redirect, so an allowed host cannot send the request on
// to one that is not (RFC 9110 §15.4: a 3xx is an answer, not a destination).

import { log } from './observability/log.ts';

/** A receiver that does not answer within this long is tried again later. */
const SEND_TIMEOUT_MS = 10_000;

/**
 * POSTs `body` to `url` once, without following redirects: a 3xx comes back as
 * its status (logged as refused), to be handled like any other wrong answer.
 */
export async function postOnce(
  fetchImpl: typeof fetch,
  kind: 'push' | 'receipt',
  url: string,
  init: { headers: HeadersInit; body: BodyInit },
): Promise<number> {
  const response = await fetchImpl(url, { method: 'POST', ...init, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  await response.body?.cancel();
  // A runtime with browser semantics answers a redirect as an opaque response with status 0.
  const status = response.status === 0 ? 302 : response.status;
  if (status >= 300 && status < 400) log.warn('outbound_redirect_refused', { kind, status, host: new URL(url).host });
  return status;
}
