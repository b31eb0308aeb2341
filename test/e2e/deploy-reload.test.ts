// Client connections survive a deploy: a code update makes workerd close every
// WebSocket; the client library reconnects and resumes from its last id with
// nothing lost or doubled. The update is real: wrangler dev runs a copy of the
// sources, and the test edits that copy while clients are connected.

import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type HubEvent, type Status } from '../../src/client/index.ts';
import { createPublisher } from '../../src/publisher/index.ts';
import { eventually } from '../conformance/clients.ts';
import { tokenFor, uniqueUser } from '../helpers/requests.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';
import { startWranglerDev, type KillableHost } from '../hosts/wrangler-dev.ts';
import { HOST_VARS } from './hosts.setup.ts';

const copy = mkdtempSync(join(tmpdir(), 'userhub-deploy-'));
let host: KillableHost | undefined;
afterAll(async () => {
  await host?.stop();
  rmSync(copy, { recursive: true, force: true });
});

describe('a deploy under wrangler dev', () => {
  it('closes WebSockets and the client resumes with every event once, in order', { timeout: 120_000 }, async () => {
    cpSync('src', join(copy, 'src'), { recursive: true });
    cpSync('wrangler.toml', join(copy, 'wrangler.toml'));
    symlinkSync(resolve('node_modules'), join(copy, 'node_modules'), 'dir');
    host = await startWranglerDev(HOST_VARS, { config: join(copy, 'wrangler.toml') });

    const user = uniqueUser();
    const events: HubEvent[] = [];
    const statuses: Status[] = [];
    const client = connect({
      url: host.url,
      getToken: () => tokenFor(user),
      lastId: '0',
      backoff: { baseMs: 100, capMs: 1000 },
      onEvent: (event) => events.push(event),
      onStatus: (status) => statuses.push(status),
    });
    try {
      const publisher = createPublisher({ url: host.url, secret: TEST_VARS.WEBHOOK_SECRET, retries: 20 });
      await eventually(() => client.status.state === 'open', 20_000);
      for (let n = 0; n < 5; n++) await publisher.publish(user, 'n', { n });
      await eventually(() => events.length === 5, 10_000);

      // The deploy: new code for the Worker and its Durable Object.
      const worker = join(copy, 'src/cloudflare/worker.ts');
      // (A Worker's named exports must be entrypoints, so the change is a statement.)
      const change = `\n(globalThis as Record<string, unknown>).userhubDeployedAt = ${Date.now()};\n`;
      writeFileSync(worker, readFileSync(worker, 'utf8') + change);
      await eventually(() => statuses.some((s) => s.state === 'reconnecting'), 60_000);

      for (let n = 5; n < 10; n++) await publisher.publish(user, 'n', { n });
      await eventually(() => events.length >= 10 && client.status.state === 'open', 30_000);
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 1)));
      expect(events.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    } finally {
      client.close();
    }
  });
});
