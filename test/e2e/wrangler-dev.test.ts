import { inject } from 'vitest';
import { describeContract } from '../conformance/contract.ts';
import { describeJobsContract } from '../conformance/jobs-contract.ts';

const baseUrl = () => inject('hubUrl');

describeContract('wrangler dev', baseUrl, { sseMaxStreamSeconds: 2 });
describeJobsContract('wrangler dev', baseUrl);
