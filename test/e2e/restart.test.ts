// Restart without loss on each standalone host: publish, SIGKILL the process
// mid-stream, start it again on the same SQLite file, resume from the last id
// seen. Every acknowledged event is there exactly once; ids, jobs and dedupe
// keys survive.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHubClient } from '../conformance/clients.ts';
import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { startStandalone, type Runtime } from '../hosts/standalone.ts';
import { HOST_VARS, RUNTIMES } from './hosts.setup.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe.each(RUNTIMES)('restart without loss on %s', (runtime: Runtime) => {
  it('keeps every acknowledged event, job and dedupe key across a SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), `userhub-restart-${runtime}-`));
    dirs.push(dir);
    const databasePath = join(dir, 'hub.sqlite');
    const user = uniqueUser();

    const first = await startStandalone(runtime, HOST_VARS, { databasePath });
    const before = createHubClient(first.url);
    await before.putJob(user, 'zip', { status: 'running', progress: 0.4 });
    const socket = await before.socket(user, { after: '0' });

    // Publish steadily and kill the process while publishes are in flight.
    const acknowledged: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing && i < 500; i++) {
        try {
          const response = await fetch(await publishRequest(first.url, user, 'tick', { i }, { webhookId: `msg_tick_${i}` }));
          if (response.status === 202) acknowledged.push(((await response.json()) as { id: string }).id);
        } catch {
          return; // the process is gone
        }
      }
    })();
    while (acknowledged.length < 40) await new Promise((resolve) => setTimeout(resolve, 5));
    await first.kill();
    publishing = false;
    await publisher;
    socket.ws.terminate();
    const seen = socket.frames.pending.filter((f) => f.id).map((f) => f.id!);

    const second = await startStandalone(runtime, HOST_VARS, { databasePath });
    try {
      const after = createHubClient(second.url);
      const resumed = await after.socket(user, { after: seen.at(-1) ?? '0' });
      const replay = await resumed.untilReady();
      const all = [...seen, ...replay.filter((f) => f.id).map((f) => f.id!)];
      const lastId = Number((replay.at(-1)!.data as { lastId: string }).lastId);
      // Exactly once, in order, with no gap, and every acknowledged id among them.
      expect(all).toEqual(Array.from({ length: lastId }, (_, i) => String(i + 1)));
      for (const id of acknowledged) expect(all).toContain(id);

      // Ids continue; dedupe keys and jobs survived.
      expect(await (await after.publish(user, 'after', 1)).json()).toMatchObject({ id: String(lastId + 1) });
      const again = await fetch(await publishRequest(second.url, user, 'tick', { i: 0 }, { webhookId: 'msg_tick_0' }));
      expect(await again.json()).toMatchObject({ id: acknowledged[0], duplicate: true });
      const job = await fetch(`${second.url}/v1/jobs/zip`, { headers: { Authorization: `Bearer ${await tokenFor(user)}` } });
      expect(await job.json()).toMatchObject({ status: 'running', progress: 0.4, version: 1 });
      resumed.ws.close();
    } finally {
      await second.stop();
    }
  });
});
