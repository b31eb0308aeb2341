// What went wrong, as the client hands it to the application: one code to
// branch on and a message for people, the same for the connection's status
// and for a failed call (a job read, an inbox page).

/**
 * - `user_changed` (status `failed`): a token (from `getToken`, or a refreshed
 *   one) names another user than the one the client was opened for. Nothing
 *   of that user was delivered; call `connect()` again for the new user
 *   (`HubProvider` does).
 * - `origin_refused` (status `failed`): the service refused this page's origin
 *   (403 forbidden_origin): add it to the service's ALLOWED_ORIGINS.
 * - `network` (status `reconnecting`, which goes on): the service could not be
 *   reached, or, in a browser, refused this page's origin in its CORS answer
 *   (the browser does not say which): check the url and ALLOWED_ORIGINS.
 * - `unauthorized` (status `unauthorized`): the service refused the token, and
 *   a fresh one from `getToken` too (or there is no `getToken`).
 * - `request_failed` (a call only): the service answered a call with another
 *   error; `status` is its HTTP status.
 */
export type ClientErrorCode = 'user_changed' | 'origin_refused' | 'network' | 'unauthorized' | 'request_failed';

export interface ClientError {
  code: ClientErrorCode;
  message: string;
  /** The HTTP status of the answer, when there was one. */
  status?: number;
}

export const ORIGIN_REFUSED: ClientError = { code: 'origin_refused', message: "The service refused this page's origin (403 forbidden_origin): add it to the service's ALLOWED_ORIGINS.", status: 403 };
export const UNREACHABLE: ClientError = {
  code: 'network',
  message: "The service could not be reached, or (in a browser) it did not allow this page's origin: check the url and the service's ALLOWED_ORIGINS.",
};
export const TOKEN_REFUSED: ClientError = { code: 'unauthorized', message: 'The service refused the token (401), and a fresh one from getToken too.', status: 401 };

/** A ClientError thrown: what the client's calls reject with. */
export class ClientFailure extends Error implements ClientError {
  readonly code: ClientErrorCode;
  readonly status: number | undefined;

  constructor(error: ClientError) {
    super(error.message);
    this.code = error.code;
    this.status = error.status;
  }
}

/** The failure a non-2xx answer to `what` (e.g. `GET /v1/inbox`) stands for. */
export function answerFailure(response: Response, what: string): ClientFailure {
  if (response.status === 401) return new ClientFailure(TOKEN_REFUSED);
  if (response.status === 403) return new ClientFailure(ORIGIN_REFUSED);
  return new ClientFailure({ code: 'request_failed', message: `${what}: ${response.status}`, status: response.status });
}

/** Any rejection as a ClientError: a fetch that threw (no answer, or a CORS refusal) is `network`. */
export function asClientError(err: unknown): ClientError {
  if (err instanceof ClientFailure) return err;
  if (err instanceof TypeError || (err instanceof Error && err.name === 'TimeoutError')) return UNREACHABLE;
  return { code: 'request_failed', message: err instanceof Error ? err.message : String(err) };
}
