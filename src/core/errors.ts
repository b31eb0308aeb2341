// The one error type of the service: it knows its HTTP status and its JSON body.

/** Stable, documented error codes. Clients branch on these, never on messages. */
export type ErrorCode =
  | 'unauthorized'
  | 'forbidden_origin'
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'connection_limit'
  | 'ticket_used'
  | 'server_misconfigured'
  | 'internal';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** True when the same request may succeed later without change. */
  readonly retryable: boolean;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HubError';
    this.status = status;
    this.code = code;
    this.retryable = options.retryable ?? status >= 500;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }

  toResponse(): Response {
    return Response.json(this.toBody(), { status: this.status, headers: this.headers });
  }
}

/**
 * Every kind of bad client credential gets this same answer: which check failed
 * is nothing an attacker should learn.
 */
export const unauthorized = (): HubError =>
  new HubError(401, 'unauthorized', 'Missing or invalid credentials.', {
    headers: { 'WWW-Authenticate': 'Bearer realm="userhub"' },
  });

export const badRequest = (message: string): HubError =>
  new HubError(400, 'invalid_request', message);
