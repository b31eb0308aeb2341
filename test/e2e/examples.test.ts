// The publishers in examples/, in other languages, run as a user would run
// them against real hosts: Python with its standard library only, and a shell
// script with curl and openssl. A client of the user sees the job finish and
// the notification arrive; the signatures are the service's to check.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { connect, type HubEvent } from '../../src/client/index.ts';
import { eventually } from '../conformance/clients.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

const run = promisify(execFile);
const EXAMPLES = { 'Python (standard library)': ['python3', 'examples/publish.py'], 'shell (curl + openssl)': ['bash', 'examples/publish.sh'] };

describe.concurrent.each(['node', 'wrangler dev'])('the example publishers against %s', (host) => {
  for (const [name, command] of Object.entries(EXAMPLES)) {
    it(`${name} finishes a job and notifies, signed and bound to its target`, { timeout: 30_000 }, async () => {
      const url = inject('hostUrls')[host]!;
      const user = uniqueUser('example');
      const events: HubEvent[] = [];
      const hub = connect({ url, getToken: () => tokenFor(user), transports: ['sse'], onEvent: (event) => events.push(event) });
      try {
        await eventually(() => hub.status.state === 'open', 10_000);
        const job = hub.waitForJob('zip-42', { timeout: 15_000 });
        const { stdout } = await run(command[0]!, [...command.slice(1), user, 'zip-42'], {
          env: { PATH: process.env.PATH, HUB_URL: url, WEBHOOK_SECRET: TEST_VARS.WEBHOOK_SECRET },
          timeout: 20_000,
        });
        // Each request's status on its line: the job created (201), the notification stored (201).
        expect(stdout.match(/\b(20[0-9])\b/g)).toEqual(['201', '201']);
        expect(await job).toMatchObject({ id: 'zip-42', status: 'succeeded', result: { url: 'https://files.example.com/zip-42.zip' } });
        await eventually(() => events.some((event) => event.type === 'inbox.created'), 10_000);
        expect(events.find((event) => event.type === 'inbox.created')!.data).toMatchObject({ title: 'Your export is ready', url: '/exports/zip-42' });
      } finally {
        hub.close();
      }
    });
  }
});
