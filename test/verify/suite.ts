// The shape every guarantee suite shares. A suite runs against one host's base
// URL and returns what it counted; `failures` names every broken promise in
// words. `npm test` runs each suite at the quick scale and expects no failures;
// `npm run verify` runs the full scale on every host and writes the figures to
// docs/guarantees.md.

export type Scale = 'quick' | 'full';

export interface SuiteReport {
  /** Counted figures, e.g. { published: 20000, lost: 0 }. Names are camelCase. */
  figures: Record<string, number>;
  /** Broken promises, one sentence each; empty when the suite passed. */
  failures: string[];
}

/** Collects figures and failures while a suite runs. */
export class Tally {
  readonly figures: Record<string, number> = {};
  readonly failures: string[] = [];

  add(name: string, by = 1): void {
    this.figures[name] = (this.figures[name] ?? 0) + by;
  }

  set(name: string, value: number): void {
    this.figures[name] = value;
  }

  /** Records a failure when `ok` is false. */
  expect(ok: boolean, failure: string): void {
    if (!ok && this.failures.length < 50) this.failures.push(failure);
  }

  report(): SuiteReport {
    return { figures: { ...this.figures }, failures: [...this.failures] };
  }
}
