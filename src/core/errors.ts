// The one error type of the service: a code from the registry
// (src/protocol/errors.ts), which gives its status; it knows its JSON body.

import { ERRORS, type ErrorBody, type ErrorCode } from '../protocol/errors.ts';

export type { ErrorBody, ErrorCode };

export class HubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** True when the same request may succeed later without change (from the registry). */
  readonly retryable: boolean;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'HubError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryable = ERRORS[code].retryable;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }

  toResponse(): Response {
    return Response.json(this.toBody(), { status: this.status, headers: this.headers });
  }

  /** The error as it crosses a boundary where classes do not survive (RPC, an internal response). */
  toShape(): ErrorShape {
    return { code: this.code, message: this.message, headers: this.headers };
  }

  /** The other side of toShape(). */
  static from(shape: ErrorShape): HubError {
    return new HubError(shape.code, shape.message, { headers: shape.headers });
  }

  /** A refusal that came back as an error response (an actor's internal fetch), as the HubError it was. */
  static async fromResponse(response: Response): Promise<HubError> {
    const body = (await response.json().catch(() => null)) as Partial<ErrorBody> | null;
    const error = body?.error;
    if (!error || !Object.hasOwn(ERRORS, error.code)) return new HubError('internal', 'The actor refused the request.');
    const headers: Record<string, string> = {};
    for (const name of ['Retry-After', 'WWW-Authenticate', 'Allow']) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return new HubError(error.code, error.message, { headers });
  }
}

/**
 * Every kind of bad client credential gets this same answer: which check failed
 * is nothing an attacker should learn.
 */
export const unauthorized = (): HubError =>
  new HubError('unauthorized', 'Missing or invalid credentials.', {
    headers: { 'WWW-Authenticate': 'Bearer realm="userhub"' },
  });

/** An error as it crosses a boundary, where classes do not survive; its status comes from the code. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  headers?: Record<string, string>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorShape };

/** Runs `fn`, turning a HubError into a value that survives structured clone. */
export async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof HubError) return { ok: false, error: err.toShape() };
    throw err;
  }
}

/** The other side of attempt(): the value, or the HubError again. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw HubError.from(outcome.error);
}

export const badRequest = (message: string): HubError =>
  new HubError('invalid_request', message);

/** A long poll the service ended while it waited (close code 4503 on a stream). */
export const sessionEnded = ({ code, reason }: { code: number; reason: string }): HubError =>
  new HubError('session_ended', `The service ended this session (${code}: ${reason}); do not poll again without a new login.`);
