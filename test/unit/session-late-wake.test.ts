// A stream's session ends at its token's `exp` even when the wake that should
// close it is late (a busy host, a Durable Object alarm that fires behind
// time): an event published after the end closes the stream with 4401 instead
// of reaching it, and the client resumes the event with a fresh token. Real
// SQLite through the standalone actor directory; only the clock is moved.

import { json } from '../helpers/wire.ts';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Outgoing } from '../../src/core/actor/frames.ts';
import type { Connection, Session } from '../../src/core/actor/ports.ts';
import { DEFAULT_LIMITS } from '../../src/core/config.ts';
import { ActorDirectory, sqliteStorage } from '../../src/standalone/actor-directory.ts';
import { StandaloneBackend } from '../../src/standalone/backend.ts';
import { configure, createSqliteStore, type SqliteDatabase } from '../../src/standalone/sqlite-store.ts';

class Recorder implements Connection {
  readonly identity = this;
  session: Session | undefined;
  readonly frames: string[] = [];
  closed: number | undefined;
  readonly transport: 'websocket' | 'sse';
  constructor(transport: 'websocket' | 'sse') {
    this.transport = transport;
  }
  send(message: Outgoing): boolean {
    this.frames.push(message.json);
    return true;
  }
  close(code: number): void {
    this.closed ??= code;
  }
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 20));
const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.useRealTimers();
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

describe('a session whose wake is late', () => {
  for (const transport of ['websocket', 'sse'] as const) {
    it(`closes a ${transport} stream with 4401 at the first event after its token's exp, and does not write the event`, async () => {
      vi.useFakeTimers({ toFake: ['Date'] }); // the clock only: timers stay real, and the expiry wake (a minute out) never fires here
      const db = new DatabaseSync(':memory:') as unknown as SqliteDatabase;
      configure(db);
      const store = createSqliteStore(db);
      const directory = new ActorDirectory(sqliteStorage(store), { limits: DEFAULT_LIMITS, idleMs: 600_000, alarmTickMs: 600_000 });
      await directory.ready;
      cleanups.push(() => (directory.close(), store.flush(), db.close()));
      const backend = new StandaloneBackend(directory, () => new Response(null));

      const now = Date.now();
      const connection = new Recorder(transport);
      directory.get('ann').hub.open(connection, { after: 0, credential: { userId: 'ann', expiresAt: Math.floor(now / 1000) + 120, issuedAt: Math.floor(now / 1000) } });
      await backend.actor('ann').publish({ type: 'n', data: json('1'), webhookId: 'msg_1' });
      await turn();
      expect(connection.frames.map((f) => JSON.parse(f).type)).toEqual(['hub.ready', 'n']);

      vi.setSystemTime(now + 121_000); // past the token's exp; no wake has run
      const result = await backend.actor('ann').publish({ type: 'n', data: json('2'), webhookId: 'msg_2' });
      await turn();
      expect(connection.closed).toBe(4401);
      expect(connection.frames.map((f) => JSON.parse(f).type).filter((type) => type === 'n')).toHaveLength(1);
      expect(result.id).toBe('2'); // stored: a resume with a fresh token replays it
      expect((await backend.actor('ann').poll(1, 10)).frames.map((f) => JSON.parse(f).id)).toEqual(['2']);
    });
  }
});
