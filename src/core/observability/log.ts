// Structured logs: one JSON object per line ({time, level, event, ...fields})
// on the console, which is stdout on the standalone hosts and Workers Logs on
// Cloudflare. Credentials never reach a line: fields named like one are
// redacted, and so is anything in a value that looks like a token, a webhook
// secret or a credential in a URL's query string.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel | 'off', number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

/** What replaces a redacted value. */
export const REDACTED = '[redacted]';

/** Field names whose values are credentials, whatever their shape. */
const SECRET_KEY = /token|ticket|cookie|secret|signature|authorization|password|passwd|credential|jwt|api.?key|^key$/i;

/** Query parameters whose values may be logged; every other value is redacted. */
const SAFE_QUERY_PARAMS = new Set(['after', 'wait', 'limit', 'version', 'status']);

/** A quick look for anything the patterns below could match, to skip them for plain values. */
const MAY_HOLD_SECRET = /eyJ|whsec_|=|userhub\.token\.|Bearer|v1,/i;
const VALUE_PATTERNS: Array<[RegExp, string]> = [
  // JWTs (client tokens) and the base64url header every one starts with.
  [/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, REDACTED],
  [/whsec_[A-Za-z0-9+/=_-]*/g, REDACTED],
  [/userhub\.token\.[^\s,"]*/g, `userhub.token.${REDACTED}`],
  [/(Bearer\s+)[^\s,"]+/gi, `$1${REDACTED}`],
  // A Standard Webhooks signature (`v1,<base64>`).
  [/\bv1,[A-Za-z0-9+/=]{16,}/g, `v1,${REDACTED}`],
  // Credentials in a query string (?ticket=, &token=, …) anywhere in a value.
  [
    /([?&](?:ticket|token|access_token|id_token|jwt|auth|authorization|signature|sig|secret|key|api_key|apikey|password|session)=)[^&\s#"]*/gi,
    `$1${REDACTED}`,
  ],
];

let threshold = LEVELS.info;

/** Where a formatted line goes. Errors to stderr, the rest to stdout. */
export type LogSink = (line: string, level: LogLevel) => void;

const consoleSink: LogSink = (line, level) => (level === 'error' ? console.error(line) : console.log(line));
let sink: LogSink = consoleSink;

/** Replaces where lines are written (a host's batching writer); null for the console again. */
export function setLogSink(next: LogSink | null): void {
  sink = next ?? consoleSink;
}

/** LOG_LEVEL as the hosts read it: debug, info (the default), warn, error or off. */
export function parseLogLevel(raw: unknown): LogLevel | 'off' {
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  return value in LEVELS ? (value as LogLevel | 'off') : 'info';
}

/** Sets the lowest level written, for the whole process (or isolate). */
export function setLogLevel(level: LogLevel | 'off'): void {
  threshold = LEVELS[level];
}

export function isLogged(level: LogLevel): boolean {
  return LEVELS[level] >= threshold;
}

/** A string with tokens, secrets and query-string credentials replaced by `[redacted]`. */
export function redactText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A URL as it may be logged: the path, and a query string whose values are
 * kept only for parameters known to hold no credential (`after`, `wait`, …).
 * The scheme, host and fragment are dropped.
 */
export function redactUrl(url: string): string {
  let path = url;
  const scheme = url.indexOf('://');
  if (scheme !== -1) {
    const slash = url.indexOf('/', scheme + 3);
    path = slash === -1 ? '/' : url.slice(slash);
  }
  const hash = path.indexOf('#');
  if (hash !== -1) path = path.slice(0, hash);
  const query = path.indexOf('?');
  if (query === -1) return redactText(path);
  const params = path
    .slice(query + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SAFE_QUERY_PARAMS.has(name) ? redactText(pair) : `${redactText(name)}=${REDACTED}`;
    });
  return `${redactText(path.slice(0, query))}${params.length ? `?${params.join('&')}` : ''}`;
}

/** A value as it may be logged: credential-named fields and credential-shaped text redacted, at any depth. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 8) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Error) return redactText(String(value));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(item, depth + 1);
  }
  return out;
}

/** The one line a record is written as. Fields cannot overwrite time, level or event. */
export function formatLogLine(
  level: LogLevel,
  event: string,
  fields: Record<string, unknown> = {},
  now: Date = new Date(),
): string {
  const record: Record<string, unknown> = { time: now.toISOString(), level, event };
  for (const key in fields) {
    if (key === 'time' || key === 'level' || key === 'event') continue;
    const value = fields[key];
    if (value === undefined) continue;
    record[key] = SECRET_KEY.test(key) ? REDACTED : redactValue(value);
  }
  return JSON.stringify(record);
}

function write(level: LogLevel, event: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < threshold) return;
  sink(formatLogLine(level, event, fields), level);
}

/**
 * The service's logger. `event` names what happened in snake_case; fields
 * carry the details.
 *
 * @example log.info('publish', { userId: 'john', eventId: '42', delivered: 2, duplicate: false });
 */
export const log = {
  debug: (event: string, fields?: Record<string, unknown>) => write('debug', event, fields),
  info: (event: string, fields?: Record<string, unknown>) => write('info', event, fields),
  warn: (event: string, fields?: Record<string, unknown>) => write('warn', event, fields),
  error: (event: string, fields?: Record<string, unknown>) => write('error', event, fields),
};
