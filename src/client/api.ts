// One authorized JSON request to the service, for the client's HTTP calls
// (the inbox, push subscriptions): a refused token is refreshed once.

import { answerFailure, ClientFailure, TOKEN_REFUSED, UNREACHABLE } from './errors.ts';
import { endpoint } from './transports/transport.ts';

/** The server refused a token (401). */
export class TokenRefused extends ClientFailure {
  constructor() {
    super(TOKEN_REFUSED);
  }
}

export interface ApiContext {
  url: string;
  fetch: typeof fetch;
  token(refresh: boolean): Promise<string>;
}

/** Rejects with a ClientFailure: `network` when there was no answer (or CORS refused one), else by the answer's status. */
export async function callApi<T>(
  context: ApiContext,
  path: string,
  init: { method?: string; body?: unknown; query?: Record<string, string | undefined> } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  for (const refresh of [false, true]) {
    const token = await context.token(refresh);
    const response = await context
      .fetch(endpoint(context.url, path, init.query ?? {}), {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      })
      .catch(() => Promise.reject(new ClientFailure(UNREACHABLE)));
    if (response.status === 401 && !refresh) continue;
    if (!response.ok) throw answerFailure(response, `${method} /${path}`);
    return (await response.json()) as T;
  }
  throw new ClientFailure(TOKEN_REFUSED);
}
