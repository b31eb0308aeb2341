// The hostile-input guarantee at its quick scale on every host: a sample of the
// corpus from every category is refused with a documented 4xx and a JSON error,
// nothing reaches storage, and the host stays up. `npm run verify` runs
// test/verify/hostile-input.ts over the whole corpus.

import { describe, expect, inject, it } from 'vitest';
import { runHostileInput } from '../verify/hostile-input.ts';

describe.each(['wrangler dev', 'node', 'bun', 'deno'])('hostile input on %s', (host) => {
  it('refuses every hostile request and frame as documented, stores nothing and stays up', { timeout: 120_000 }, async () => {
    const report = await runHostileInput(inject('hostUrls')[host]!, 'quick');
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ serverErrors: 0, nonJsonErrors: 0, storedRows: 0, duplicatesStored: 0, hostUp: 1 });
    expect(report.figures.requests).toBeGreaterThanOrEqual(100);
    expect(report.figures.wsCases).toBeGreaterThanOrEqual(10);
  });
});
