// The guarantee suites at their quick scale on every host: a broken promise
// fails `npm test`. `npm run verify` runs the same suites at full scale.

import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startStandalone } from '../hosts/standalone.ts';
import { freePort, startWranglerDev, type KillableHost } from '../hosts/wrangler-dev.ts';
import { runCrashRestart } from '../verify/crash-restart.ts';
import { runExpiringSessions } from '../verify/expiring-sessions.ts';
import { runInboxDevices } from '../verify/inbox-devices.ts';
import { runReconnectStorm } from '../verify/reconnect-storm.ts';
import { runRetentionEdge, RETENTION_VARS } from '../verify/retention-edge.ts';
import { HOST_VARS, RUNTIMES } from './hosts.setup.ts';

const start = (host: string, vars: Record<string, string>, state?: { dir: string; port: number }): Promise<KillableHost> =>
  host === 'wrangler dev'
    ? startWranglerDev(vars, state ? { persistTo: state.dir, port: state.port } : {})
    : startStandalone(host as (typeof RUNTIMES)[number], vars, state ? { databasePath: join(state.dir, 'hub.sqlite'), port: state.port } : {});

describe.each(['wrangler dev', ...RUNTIMES])('guarantees on %s', (host) => {
  it('reconnect storm: nothing lost, doubled or reordered', { timeout: 180_000 }, async () => {
    const report = await runReconnectStorm(inject('hostUrls')[host]!, 'quick');
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('expiring sessions under churn: tokens expire and connections drop, nothing lost or doubled', { timeout: 120_000 }, async () => {
    const report = await runExpiringSessions(inject('hostUrls')[host]!, 'quick');
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('inbox across devices under churn: every device ends on the server\'s counts, no change lost or doubled', { timeout: 120_000 }, async () => {
    const report = await runInboxDevices(inject('hostUrls')[host]!, 'quick');
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('crash and restart: every acknowledged publish survives a SIGKILL', { timeout: 180_000 }, async () => {
    const report = await runCrashRestart((state) => start(host, HOST_VARS, state), await freePort(), 'quick');
    expect(report.failures).toEqual([]);
    expect(report.figures).toMatchObject({ lost: 0, duplicated: 0, storedTwice: 0, acknowledgedMissing: 0 });
  });

  it('retention edge: full replay or an explicit reset, never a silent gap', { timeout: 120_000 }, async () => {
    const server = await start(host, { ...HOST_VARS, ...RETENTION_VARS });
    try {
      const report = await runRetentionEdge(server.url, 'quick');
      expect(report.failures).toEqual([]);
      expect(report.figures).toMatchObject({ silentGaps: 0, wrongAnswers: 0 });
    } finally {
      await server.stop();
    }
  });
});
