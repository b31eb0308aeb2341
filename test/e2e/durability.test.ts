// Durable before acknowledged, checked from outside the process: each
// standalone host runs under strace, and between one publish's 202 and the
// next, the WAL must have been synced (fsync or fdatasync of the `-wal` file,
// completed) before the 202 was written to the socket. With
// SQLITE_SYNCHRONOUS=NORMAL the same check must fail: it is what tells the
// two settings apart, so it cannot pass by accident.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishRequest, uniqueUser } from '../helpers/requests.ts';
import { startStandalone, type Runtime } from '../hosts/standalone.ts';
import { HOST_VARS, RUNTIMES } from './hosts.setup.ts';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace) console.warn('skipping the durability tests: strace is missing (apt-get install strace)');
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const SYNC = /^(\d+)\s+(fsync|fdatasync)\((\d+)<([^>]*)>(.*)$/;
const RESUMED = /^(\d+)\s+<\.\.\. (fsync|fdatasync) resumed>.*= (-?\d+)/;
const RESPONSE = /^\d+\s+(?:write|writev|sendto|sendmsg)\(\d+<TCP:[^>]*>.*HTTP\/1\.1 202/;

/**
 * For each 202 written in the trace, whether a sync of the WAL completed
 * after the previous 202 and before this one.
 */
function syncedBeforeEachAnswer(trace: string): boolean[] {
  const answers: boolean[] = [];
  const waiting = new Map<string, boolean>(); // pid → its unfinished sync is of the WAL
  let synced = false;
  for (const line of trace.split('\n')) {
    const sync = SYNC.exec(line);
    if (sync) {
      const wal = sync[4]!.endsWith('-wal');
      if (sync[5]!.includes('<unfinished ...>')) waiting.set(sync[1]!, wal);
      else if (wal && /= 0$/.test(sync[5]!)) synced = true;
      continue;
    }
    const resumed = RESUMED.exec(line);
    if (resumed) {
      if (waiting.get(resumed[1]!) && resumed[3] === '0') synced = true;
      waiting.delete(resumed[1]!);
      continue;
    }
    if (RESPONSE.test(line)) {
      answers.push(synced);
      synced = false;
    }
  }
  return answers;
}

async function traceAnswers(runtime: Runtime, synchronous: 'FULL' | 'NORMAL'): Promise<boolean[]> {
  const dir = mkdtempSync(join(tmpdir(), `userhub-durability-${runtime}-`));
  dirs.push(dir);
  const host = await startStandalone(runtime, { ...HOST_VARS, SQLITE_SYNCHRONOUS: synchronous }, { databasePath: join(dir, 'hub.sqlite') });
  const log = join(dir, 'trace');
  const strace = spawn('strace', ['-f', '-yy', '-s', '64', '-e', 'trace=fsync,fdatasync,write,writev,sendto,sendmsg', '-o', log, '-p', String(host.child.pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    // strace says on stderr when it holds every thread.
    await new Promise<void>((resolve, reject) => {
      let said = '';
      strace.stderr!.on('data', (chunk) => {
        said += chunk;
        if (/attached/.test(said)) setTimeout(resolve, 300);
      });
      strace.once('exit', (code) => reject(new Error(`strace exited with ${code}: ${said}`)));
    });
    const user = uniqueUser();
    for (let i = 0; i < 20; i++) {
      const response = await fetch(await publishRequest(host.url, user, 'export.ready', { i }, { webhookId: `msg_durable_${i}` }));
      expect(response.status).toBe(202);
    }
  } finally {
    await host.stop();
    await new Promise((resolve) => (strace.exitCode === null ? strace.once('exit', resolve) : resolve(null)));
  }
  return syncedBeforeEachAnswer(readFileSync(log, 'utf8'));
}

describe.skipIf(!hasStrace).each(RUNTIMES)('durable before acknowledged on %s', (runtime: Runtime) => {
  it('syncs the WAL before each 202 with SQLITE_SYNCHRONOUS=FULL (the default)', async () => {
    const answers = await traceAnswers(runtime, 'FULL');
    expect(answers).toHaveLength(20);
    expect(answers.filter((synced) => !synced)).toEqual([]);
  });

  it('does not with SQLITE_SYNCHRONOUS=NORMAL (what tells the check works)', async () => {
    const answers = await traceAnswers(runtime, 'NORMAL');
    expect(answers).toHaveLength(20);
    expect(answers.filter((synced) => !synced).length).toBeGreaterThan(10);
  });
});
