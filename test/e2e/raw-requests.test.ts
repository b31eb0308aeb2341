// Malformed input at the socket level on every host: request lines, headers
// and upgrade requests no HTTP client would send, written over raw TCP
// (test/verify/raw-requests.ts). Each is refused, or its socket closed, and the
// host keeps serving.

import { describe, expect, inject, it } from 'vitest';
import { rawCorpus, runRawRequests } from '../verify/raw-requests.ts';

describe.each(['wrangler dev', 'node', 'bun', 'deno'])('raw requests on %s', (host) => {
  it(`refuses each of ${rawCorpus().length} malformed requests and upgrades and keeps serving`, { timeout: 90_000 }, async () => {
    const report = await runRawRequests(inject('hostUrls')[host]!, { devProxy: host === 'wrangler dev' });
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ upgraded: 0, serverErrors: 0, hung: 0, hostUp: 1 });
  });
});
