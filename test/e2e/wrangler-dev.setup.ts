// Global setup for the e2e project: one real `wrangler dev` for every e2e test.

import type { TestProject } from 'vitest/node';
import { startWranglerDev } from '../hosts/wrangler-dev.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    hubUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const host = await startWranglerDev({ ...TEST_VARS, SSE_MAX_STREAM_SECONDS: '2' });
  project.provide('hubUrl', host.url);
  return () => host.stop();
}
