// One authorized JSON request to the service, for the client's HTTP calls
// (the inbox, push subscriptions): a refused token is refreshed once.

import { endpoint } from './transports/transport.ts';

/** The server refused a token (401). */
export class TokenRefused extends Error {
  constructor() {
    super('unauthorized');
  }
}

export interface ApiContext {
  url: string;
  fetch: typeof fetch;
  token(refresh: boolean): Promise<string>;
}

export async function callApi<T>(
  context: ApiContext,
  path: string,
  init: { method?: string; body?: unknown; query?: Record<string, string | undefined> } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  for (const refresh of [false, true]) {
    const response = await context.fetch(endpoint(context.url, path, init.query ?? {}), {
      method,
      headers: {
        Authorization: `Bearer ${await context.token(refresh)}`,
        ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (response.status === 401 && !refresh) continue;
    if (!response.ok) throw new Error(`${method} /${path}: ${response.status}`);
    return (await response.json()) as T;
  }
  throw new Error(`${method} /${path}: unauthorized`);
}
