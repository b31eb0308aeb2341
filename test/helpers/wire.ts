// What every test wire client shares (the workers, conformance and verify
// suites): frames as the protocol defines them, and waiting for a condition
// with an explicit timeout instead of sleeping.

export type { Frame } from '../../src/protocol/wire.ts';

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
