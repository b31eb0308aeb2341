// Every error code the service answers with, its HTTP status, and whether the
// same request may succeed later unchanged. Clients and publishers branch on
// the code, never on the message; the body is {"error":{"code","message"}}.

export const ERRORS = {
  /** Missing, invalid or expired credentials (token, ticket, signature). */
  unauthorized: { status: 401, retryable: false },
  forbidden_origin: { status: 403, retryable: false },
  /** GET /metrics without METRICS_TOKEN, addressed to a non-loopback name. */
  forbidden_host: { status: 403, retryable: false },
  invalid_request: { status: 400, retryable: false },
  /** The client's Hub-Protocol is a version this server does not speak. */
  unsupported_protocol: { status: 400, retryable: false },
  invalid_json: { status: 400, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  not_found: { status: 404, retryable: false },
  method_not_allowed: { status: 405, retryable: false },
  /** GET /v1/connect without a WebSocket upgrade. */
  upgrade_required: { status: 426, retryable: false },
  /** The user holds MAX_CONNECTIONS_PER_USER connections: retry when one closes. */
  connection_limit: { status: 429, retryable: true },
  /** The user's publish rate is exceeded: retry after `Retry-After`. */
  rate_limited: { status: 429, retryable: true },
  job_final: { status: 409, retryable: false },
  /** A signed body does not name the user (or job) of its path, or leaves it out. */
  target_mismatch: { status: 400, retryable: false },
  /** A webhook-id already used for a different request (method, path or body). */
  idempotency_key_reused: { status: 409, retryable: false },
  job_not_found: { status: 404, retryable: false },
  /** A parked long poll was ended by the service (a kick, a revoke, an erase): what close code 4503 says to a stream. Do not poll again without a new login. */
  session_ended: { status: 410, retryable: false },
  /** Web Push is off: the service has no VAPID keys. */
  push_disabled: { status: 501, retryable: false },
  /** A secret is missing or a setting is invalid: the service fails closed until fixed. */
  server_misconfigured: { status: 500, retryable: false },
  internal: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERRORS, code);
