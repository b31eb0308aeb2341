// The one error type of the service: it knows its HTTP status and its JSON body.

/** Stable, documented error codes. Clients branch on these, never on messages. */
export type ErrorCode =
  | 'unauthorized'
  | 'forbidden_origin'
  | 'forbidden_host'
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'connection_limit'
  | 'rate_limited'
  | 'job_final'
  | 'job_not_found'
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

/** An error as it crosses an RPC boundary, where classes do not survive. */
export interface ErrorShape {
  status: number;
  code: ErrorCode;
  message: string;
  headers?: Record<string, string>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorShape };

/** Runs `fn`, turning a HubError into a value that survives structured clone. */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof HubError) {
      return { ok: false, error: { status: err.status, code: err.code, message: err.message, headers: err.headers } };
    }
    throw err;
  }
}

/** The other side of attempt(): the value, or the HubError again. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { status, code, message, headers } = outcome.error;
  throw new HubError(status, code, message, { headers });
}

export const badRequest = (message: string): HubError =>
  new HubError(400, 'invalid_request', message);
