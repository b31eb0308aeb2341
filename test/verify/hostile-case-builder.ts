// Helpers the hostile corpus builds its cases with: requests signed over
// exact bytes, paths, and a per-category case list bound to the seed.

import { utf8 } from '../../src/shared/base64.ts';
import type { Category, CorpusContext, HttpCase, RawRequest } from './hostile-corpus.ts';
import { webhookHeaders } from './hub-wire.ts';
import type { Random } from './seeded-random.ts';

/** MAX_EVENT_BYTES on the hosts under test (the documented default). */
export const MAX_EVENT_BYTES = 64 * 1024;

export interface SignOptions {
  /** `null` sends no Content-Type at all. */
  contentType?: string | null;
  secret?: string;
  webhookId?: string;
  timestamp?: number | string;
  /** Sign these bytes instead of the body (a signature over something else). */
  signOver?: string | Uint8Array;
  /** Headers to leave out after signing. */
  drop?: string[];
  /** Headers to set after signing (a signature header made up by the case, say). */
  headers?: Record<string, string>;
}

const bytes = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? utf8.encode(body) : body);

export function concat(...parts: Array<string | number[] | Uint8Array>): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'string' ? utf8.encode(part) : Uint8Array.from(part)));
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export async function signed(method: string, path: string, body: string | Uint8Array, options: SignOptions = {}): Promise<RawRequest> {
  const raw = bytes(body);
  const headers: Record<string, string> = { ...(await webhookHeaders(options.signOver ?? raw, options)) };
  if (options.contentType !== null) headers['Content-Type'] = options.contentType ?? 'application/json';
  for (const name of options.drop ?? []) delete headers[name];
  Object.assign(headers, options.headers);
  return { method, path, headers, body: method === 'GET' ? undefined : raw };
}

export const eventsPath = (user: string) => `/v1/users/${user}/events`;
export const jobPath = (user: string, job: string) => `/v1/users/${user}/jobs/${job}`;
export const bearer = (context: CorpusContext, user: string) => ({ Authorization: `Bearer ${context.tokens.get(user)!}` });

/** A corpus builder's helpers, bound to a category. */
export function makeCases(category: Category, random: Random) {
  const cases: HttpCase[] = [];
  const target = (context: CorpusContext, index: number) => context.targets[index % context.targets.length]!;
  return {
    cases,
    add(name: string, expect: readonly number[], build: HttpCase['build'], extra: Partial<HttpCase> = {}) {
      cases.push({ category, name, expect, build, ...extra });
    },
    /** A signed publish of `body` to a target chosen by the seed. */
    publish(name: string, expect: readonly number[], body: string | Uint8Array, options?: SignOptions) {
      const index = random.int(1000);
      cases.push({ category, name, expect, build: (c) => signed('POST', eventsPath(target(c, index)), body, options) });
    },
    /** A signed job update of `body` for a target chosen by the seed. */
    putJob(name: string, expect: readonly number[], body: string | Uint8Array, options?: SignOptions) {
      const index = random.int(1000);
      cases.push({ category, name, expect, build: (c) => signed('PUT', jobPath(target(c, index), `job-${index}`), body, options) });
    },
    /** A signed batch naming targets, of `body(targets)`. */
    batch(name: string, expect: readonly number[], body: (targets: readonly string[]) => string | Uint8Array, options?: SignOptions) {
      cases.push({ category, name, expect, build: (c) => signed('POST', '/v1/events:batch', body(c.targets), options) });
    },
    target,
  };
}
