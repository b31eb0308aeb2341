// The hostile-input guarantee at its quick scale on every host: a sample of the
// corpus from every category is refused with a documented 4xx and a JSON error,
// the whole raw-TCP corpus of malformed requests and upgrades is refused or
// closed, nothing reaches storage, and the host stays up. `npm run verify` runs
// test/verify/hostile-input.ts over the whole corpus.

import { describe, expect, inject, it } from 'vitest';
import { runHostileInput } from '../verify/hostile-input.ts';
import { rawCorpus } from '../verify/raw-requests.ts';

describe.each(['wrangler dev', 'node', 'bun', 'deno'])('hostile input on %s', (host) => {
  it('refuses every hostile request and frame as documented, stores nothing and stays up', { timeout: 120_000 }, async () => {
    const report = await runHostileInput(inject('hostUrls')[host]!, 'quick', { devProxy: host === 'wrangler dev' });
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ serverErrors: 0, nonJsonErrors: 0, storedRows: 0, duplicatesStored: 0, hostUp: 1 });
    expect(report.figures.crossUserReplays).toBeGreaterThanOrEqual(4);
    expect(report.figures.idempotencyReuses).toBeGreaterThanOrEqual(3);
    expect(report.figures.requests).toBeGreaterThanOrEqual(100);
    expect(report.figures.wsCases).toBeGreaterThanOrEqual(10);
    // The raw-TCP corpus (test/verify/raw-requests.ts), whole at every scale.
    expect(report.figures).toMatchObject({ rawRequests: rawCorpus().length, rawUpgraded: 0, rawServerErrors: 0, rawHung: 0 });
  });
});
