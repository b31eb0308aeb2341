// The `Host` request header, read strictly (RFC 9110 §7.2: uri-host [":" port]),
// and the path of a request URL, read without building a URL on the hot path.
// Runtimes and `new URL` forgive far more (spaces, "a:b:c", ports past 65535);
// what the standalone host builds URLs from or trusts for loopback checks
// passes this first.

/** A reg-name or IPv4 address, or a bracketed IPv6 literal, with an optional port. */
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::([0-9]{1,5}))?$/;

export interface HostHeader {
  /** Lower-cased, IPv6 literals keep their brackets. */
  hostname: string;
  port: number | null;
}

/** The Host header as hostname and port, or null when it is not an authority. */
export function parseHostHeader(value: string | null | undefined): HostHeader | null {
  const match = AUTHORITY.exec(value ?? '');
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65535) return null;
  return { hostname: match[1]!.toLowerCase(), port };
}

const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

/** A name that only this machine can reach: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackName(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The path of an absolute request URL (`http://host/path?query` → `/path`), without parsing it whole. */
export function requestPath(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const query = url.indexOf('?', start);
  return url.slice(start, query === -1 ? undefined : query);
}
