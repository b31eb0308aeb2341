// The bench report's targets: each is judged from the run's own figures.

import { describe, expect, it } from 'vitest';
import type { FanoutPlacement } from '../../bench/fanout.ts';
import type { DesignResult, StepResult } from '../../bench/run.ts';
import { targetsSection } from '../../bench/targets.ts';

const step = (rate: number, cpuSecondsPerMillion: number, p99 = 10): StepResult =>
  ({ rate, cpuSecondsPerMillion, p99, held: p99 < 50, lost: 0, duplicated: 0 }) as StepResult;

const design = (name: string, steps: StepResult[], idleKiB?: number): DesignResult => ({
  name,
  steps,
  highestRateHeld: Math.max(0, ...steps.filter((s) => s.held).map((s) => s.rate)),
  idle: idleKiB === undefined ? undefined : { connections: 5000, dropped: 0, seconds: 30, bytesPerConnection: idleKiB * 1024, baselineBytes: 0, rssBytes: 0 },
});

const row = (lines: string[], target: string) => lines.find((line) => line.startsWith(`| ${target}`)) ?? '';

describe('bench targets', () => {
  const nchan = design('Nchan (nginx)', [step(1000, 50), step(2000, 40), step(5000, 30)], 11);

  it('says met when the figures are within the target', () => {
    const lines = targetsSection([nchan, design('userhub · bun', [step(1000, 70), step(2000, 55), step(5000, 45, 30)], 3.5)], 2000);
    expect(row(lines, 'Bun: CPU')).toContain('**Met**: 1.4× at 1000/s');
    expect(row(lines, 'Bun holds 5,000/s')).toContain('**Met**');
    expect(row(lines, 'Idle memory')).toContain('**Met**: 3.5 KiB');
  });

  it('says by how much a target is missed, and why', () => {
    const lines = targetsSection([nchan, design('userhub · bun', [step(1000, 336), step(2000, 221), step(5000, 120, 138)], 4.5)], 2000);
    expect(row(lines, 'Bun: CPU')).toMatch(/\*\*Missed\*\*: 6\.7× at 1000\/s .* 5\.5× at 2000\/s .* Why: /);
    expect(row(lines, 'Bun holds 5,000/s')).toContain('**Missed**: held 2000/s; at 5,000/s p99 138.0 ms');
    expect(row(lines, 'Idle memory')).toContain('**Missed**: 4.5 KiB');
  });

  it('counts a rate the design never reached as missed', () => {
    const lines = targetsSection([nchan, design('userhub · bun', [step(1000, 60)]), design('userhub · node', [step(200, 900), step(1000, 100, 300)])], 2000);
    expect(row(lines, 'Bun: CPU')).toContain('**Missed**: 1.2× at 1000/s (60 vs 50 CPU-s/M), not reached at 2000/s (held 1000/s)');
    expect(row(lines, 'Node: CPU')).toContain('not reached at 2000/s (held 200/s)');
  });

  describe('the cluster', () => {
    const placement = (placement: string, holders: number, receivers = holders * 600): FanoutPlacement =>
      ({ placement, holders, nodes: 3, users: 100, connections: holders * 100, published: 600, messages: 600, receivers, lost: 0, duplicated: 0, p99: 5 });
    const cluster = (placements: FanoutPlacement[]): DesignResult => ({
      ...design('userhub · cluster (3 Bun nodes, PostgreSQL, Redis, haproxy)', [step(20, 9000, 18), step(50, 7000, 30), step(100, 6300, 120)]),
      cluster: { nodes: 3, load: { published: 1000, messages: 1000, receivers: 1200 }, placements },
    });
    const fanout = 'Cluster: Redis messages per publish';

    it('says met when every publish reached exactly the nodes holding the user\'s connections, without Nchan or Bun in the run', () => {
      const lines = targetsSection([cluster([placement('no node', 0), placement('one node', 1), placement('every node', 3)])], 2000);
      expect(row(lines, fanout)).toContain('**Met**: 0.00 receiving nodes per publish with each user\'s connections on no node (0 expected; 600 SPUBLISH for 600 publishes), 1.00');
      expect(row(lines, 'Cluster (3 Bun nodes')).toContain('**Reported**: held 50/s; at 50/s p99 30.0 ms, 7000 CPU-s/M');
    });

    it('says missed when a publish reached a node holding none of the user\'s connections', () => {
      const lines = targetsSection([cluster([placement('no node', 0), placement('one node', 1, 1800), placement('every node', 3)])], 2000);
      expect(row(lines, fanout)).toMatch(/\*\*Missed\*\*: .*3\.00 receiving nodes per publish with each user's connections on one node \(1 expected.* Why: /);
    });

    it('says missed when a commit sent no SPUBLISH, or nothing was measured', () => {
      const silent = { ...placement('every node', 3), messages: 590, receivers: 1770 };
      expect(row(targetsSection([cluster([placement('one node', 1), silent])], 2000), fanout)).toContain('**Missed**');
      expect(row(targetsSection([cluster([])], 2000), fanout)).toContain('**Missed**: no placement measured');
    });
  });
});
