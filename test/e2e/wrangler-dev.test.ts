import { inject } from 'vitest';
import { describeContract } from '../conformance/contract.ts';

describeContract('wrangler dev', () => inject('hubUrl'), { sseMaxStreamSeconds: 2 });
