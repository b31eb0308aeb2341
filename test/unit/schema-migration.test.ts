// A newer build opens state the previous schema wrote: the actor migrates its
// tables on first use, in one transaction, and nothing already stored changes.

import { json } from '../helpers/wire.ts';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { Hub } from '../../src/core/actor/hub.ts';
import { migrate, SCHEMA_VERSION } from '../../src/core/actor/schema.ts';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { MemoryConnectionSet } from '../../src/standalone/memory-connections.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';
import { writeSchemaV1 } from '../fixtures/schema-v1.ts';

describe('schema migrations on a standalone host (node:sqlite)', () => {
  it('migrates a version-1 database on first use and keeps its events, resume rules and dedupe keys', async () => {
    const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
    configure(db);
    const sql = createSqliteStore(db);
    const now = Date.now();
    await writeSchemaV1(sql, 'john', now);

    await migrate(sql);
    const hub = new Hub(sql, new MemoryConnectionSet(), DEFAULT_LIMITS, { owner: 'john' });
    expect((await sql.all(`SELECT value FROM meta WHERE owner = '' AND key = 'schema_version'`))).toEqual([{ value: SCHEMA_VERSION }]);
    const poll = (await hub.poll(1, 10));
    expect(poll.frames.map((f) => JSON.parse(f).id)).toEqual(['2', '3', '4']);
    expect(JSON.parse((await hub.poll(0, 10)).frames[0]!)).toMatchObject({ type: 'hub.reset', data: { reason: 'not_retained' } });
    expect((await hub.publish({ type: 'n', data: json('1'), webhookId: 'msg_v1' }))).toEqual({ id: '4', delivered: 0, duplicate: true });
    // A dedupe row from before fingerprints matches any request under its id until it expires.
    expect((await hub.publish({ type: 'other', data: json('2'), webhookId: 'msg_v1', fingerprint: 'f1' }))).toEqual({ id: '4', delivered: 0, duplicate: true });
    expect((await hub.publish({ type: 'n', data: json('1'), webhookId: 'msg_new' }))).toMatchObject({ id: '5' });
    // The tables version 2 added work.
    expect((await hub.updateJob('zip', { status: 'running' }, { webhookId: 'msg_job' }))).toMatchObject({ created: true, eventId: '6' });
    // Version 3: every user with events has a prune due, run by the next wake.
    expect((await sql.all(`SELECT owner, reason FROM schedule`))).toEqual([{ owner: 'john', reason: 'prune' }]);

    // Migrating again changes nothing.
    await migrate(sql);
    const again = new Hub(sql, new MemoryConnectionSet(), DEFAULT_LIMITS, { owner: 'john' });
    expect(JSON.parse((await again.getJob('zip'))!)).toMatchObject({ status: 'running', version: 1 });
  });
});
