// What every test wire client shares (the workers, conformance and verify
// suites): frames as the protocol defines them, and waiting for a condition
// with an explicit timeout instead of sleeping.

import type { JsonText } from '../../src/core/json.ts';

export type { Frame } from '../../src/protocol/wire.ts';

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Text taken as JSON text, as the routes hand the actor a body's data (canonicalJson); tests may hand it text the actor must refuse. */
export const json = (text: string): JsonText => text as JsonText;
