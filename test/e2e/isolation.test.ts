// The isolation guarantee at its quick scale on every host: each user's client
// sees exactly its own events and jobs on every path, and forged credentials
// open nothing. `npm run verify` runs test/verify/isolation.ts at full scale.

import { describe, expect, inject, it } from 'vitest';
import { runIsolation } from '../verify/isolation.ts';

describe.each(['wrangler dev', 'node', 'bun', 'deno'])('isolation on %s', (host) => {
  it('shows every user its own events and jobs only, and refuses every forged credential and cross-user replay', { timeout: 120_000 }, async () => {
    const report = await runIsolation(inject('hostUrls')[host]!, 'quick');
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ leaks: 0, missed: 0, forgedAccepted: 0, crossUserAccepted: 0 });
    expect(report.figures.crossUserReplays).toBeGreaterThan(10);
    expect(report.figures.reads).toBeGreaterThan(100);
    expect(report.figures.forgedTokens).toBeGreaterThan(50);
  });
});
