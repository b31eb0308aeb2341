// The hostile HTTP corpus: requests every host must refuse with a documented
// 4xx and a JSON error body, and never store. Generated from a seed, so the
// same seed gives the same corpus. Every publish attempt names one of a fixed
// set of target users, so the suite can check afterwards that nothing reached
// them. The cases live in hostile-bodies.ts (what a body holds) and
// hostile-requests.ts (everything around it).

import { badUtf8, batches, brokenJson, contentTypes, deepNesting, eventTypes, hugeBodies, inboxBodies, jobUpdates, nulBytes } from './hostile-bodies.ts';
import { flooding, ids, methods, origins, queryParams, signatures } from './hostile-requests.ts';
import type { Random } from './seeded-random.ts';

export type Category =
  | 'broken-json'
  | 'huge-body'
  | 'deep-nesting'
  | 'bad-utf8'
  | 'event-type'
  | 'nul-bytes'
  | 'ids'
  | 'query-params'
  | 'content-type'
  | 'signature'
  | 'batch'
  | 'job-update'
  | 'inbox'
  | 'flooding'
  | 'method'
  | 'origin';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

/** What a case may use when it builds its request: the targets and their genuine tokens. */
export interface CorpusContext {
  targets: readonly string[];
  tokens: ReadonlyMap<string, string>;
}

export interface HttpCase {
  category: Category;
  name: string;
  /** The documented statuses for this refusal; the answer must be one of them, as a JSON error. */
  expect: readonly number[];
  /** `upgrade`: sent as a WebSocket handshake (only a refusal's HTTP answer is read). */
  via?: 'upgrade';
  /**
   * A 413 case with a body of megabytes: a host may answer before reading the
   * body and close the connection, which the sender sees as a network error.
   */
  mayDrop?: boolean;
  /**
   * Sent on a connection of its own, closed afterwards. For a streamed body
   * over the limit: @hono/node-server answers 413 with keep-alive but cannot
   * drain a body already turned into a web stream, and closes the socket
   * 500 ms later, which would fail whichever request reused it.
   */
  ownConnection?: boolean;
  /** Built at send time: signatures carry the current timestamp. */
  build(context: CorpusContext): Promise<RawRequest>;
}

/** The whole corpus, in a seeded order. */
export function hostileCorpus(random: Random): HttpCase[] {
  return [
    ...brokenJson(random),
    ...hugeBodies(random),
    ...deepNesting(random),
    ...badUtf8(random),
    ...eventTypes(random),
    ...nulBytes(random),
    ...ids(random),
    ...queryParams(random),
    ...contentTypes(random),
    ...signatures(random),
    ...batches(random),
    ...jobUpdates(random),
    ...inboxBodies(random),
    ...flooding(random),
    ...methods(random),
    ...origins(random),
  ];
}

/** About `size` cases drawn from every category in proportion (at least two of each). */
export function sampleCorpus(corpus: readonly HttpCase[], size: number, random: Random): HttpCase[] {
  const byCategory = new Map<Category, HttpCase[]>();
  for (const entry of corpus) byCategory.set(entry.category, [...(byCategory.get(entry.category) ?? []), entry]);
  const sample: HttpCase[] = [];
  for (const entries of byCategory.values()) {
    const take = Math.max(2, Math.round((entries.length * size) / corpus.length));
    sample.push(...random.shuffle([...entries]).slice(0, take));
  }
  return sample;
}
