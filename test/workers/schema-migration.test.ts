// A newer build of the actor opens a Durable Object whose SQLite state the
// previous schema wrote: its constructor migrates the tables before any
// request or RPC is delivered, in one transaction, and nothing stored changes.

import { json } from '../helpers/wire.ts';
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/core/actor/schema.ts';
import { createDurableSqlStore } from '../../src/cloudflare/sql-store.ts';
import { UserHub } from '../../src/cloudflare/user-hub.ts';
import { uniqueUser } from '../helpers/requests.ts';
import { writeSchemaV1 } from '../fixtures/schema-v1.ts';

describe('schema migrations in a Durable Object', () => {
  it('migrates state written by schema version 1 when the new build starts', async () => {
    const stub = env.USER_HUB.getByName(uniqueUser());
    await runInDurableObject(stub, async (_: UserHub, state) => {
      // Turn this object's storage into what the previous build left behind.
      for (const table of ['meta', 'events', 'dedupe', 'tickets', 'jobs']) state.storage.sql.exec(`DROP TABLE IF EXISTS ${table}`);
      await writeSchemaV1(createDurableSqlStore(state.storage), '', Date.now());

      const upgraded = new UserHub(state, env as unknown as ConstructorParameters<typeof UserHub>[1]);
      // The first call waits for the migration the constructor started.
      expect(unwrapped(await upgraded.call('poll', [1, 10])).frames.map((f) => JSON.parse(f).id)).toEqual(['2', '3', '4']);
      const version = state.storage.sql.exec(`SELECT value FROM meta WHERE owner = '' AND key = 'schema_version'`).one();
      expect(version.value).toBe(SCHEMA_VERSION);
      expect((await upgraded.call('publish', [{ type: 'n', data: json('1'), webhookId: 'msg_v1' }]))).toEqual({
        ok: true,
        value: { id: '4', delivered: 0, duplicate: true },
      });
      expect((await upgraded.call('updateJob', ['zip', { status: 'queued' }, { webhookId: 'msg_job' }]))).toMatchObject({ ok: true, value: { eventId: '5' } });
      expect(JSON.parse(unwrapped((await upgraded.call('getJob', ['zip'])))!)).toMatchObject({ status: 'queued', version: 1 });
    });
  });
});

function unwrapped<T>(outcome: { ok: true; value: T } | { ok: false }): T {
  if (!outcome.ok) throw new Error('refused');
  return outcome.value;
}
