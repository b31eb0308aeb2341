// Shared bench helpers: pinned processes, CPU and memory of process trees from
// /proc, a seeded random source and a Zipf sampler.

import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The core the servers under test run on; the load generator gets the other. */
export const SERVER_CORE = '1';
export const LOAD_CORE = '0';

/** Where servers under test write their output, one file per process name, overwritten each run. */
export const SERVER_LOG_DIR = join(tmpdir(), 'userhub-bench-logs');

/**
 * Starts `command` pinned to one core with taskset, its stdout and stderr going
 * to `SERVER_LOG_DIR/<logName>.log`. Never to a pipe nobody reads: once its 64 KiB
 * fill, a server that logs blocks on the write (wrangler dev did, after a load
 * step, and workerd stopped answering behind it).
 */
export function spawnPinned(core: string, logName: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  mkdirSync(SERVER_LOG_DIR, { recursive: true });
  const log = openSync(join(SERVER_LOG_DIR, `${logName}.log`), 'w');
  try {
    return spawn('taskset', ['-c', core, command, ...args], { stdio: ['ignore', log, log], ...options });
  } finally {
    closeSync(log); // the child holds its own copy
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3): ppid is field 4, utime 14, stime 15
    return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** Every live process descended from (and including) the roots. */
export function processTree(roots: number[]): number[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== null);
  const tree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const stat of all) {
      if (!tree.has(stat.pid) && tree.has(stat.ppid)) {
        tree.add(stat.pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/**
 * Pins every process of the trees under `roots`, every thread of each, to
 * `core`: for servers started by code that does not pin them (the cluster's).
 * Processes and threads they start later inherit it.
 */
export function pinTree(core: string, roots: number[]): void {
  for (const pid of processTree(roots)) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
    } catch {
      // exited meanwhile
    }
  }
}

/** The processes holding a listening TCP socket on `port`: a server known only by its address. */
export function listeners(port: number): number[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const sockets = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // local_address rem_address st (0A: LISTEN) … inode
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(hex) && fields[3] === '0A') sockets.add(`socket:[${fields[9]}]`);
    }
  }
  const link = (path: string) => {
    try {
      return readlinkSync(path);
    } catch {
      return ''; // closed, exited, or not ours to read
    }
  };
  const fds = (pid: string) => {
    try {
      return readdirSync(`/proc/${pid}/fd`);
    } catch {
      return [];
    }
  };
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && fds(name).some((fd) => sockets.has(link(`/proc/${name}/fd/${fd}`))))
    .map(Number);
}

/** CPU seconds (user + system) used so far by the process trees under `roots`. */
export function cpuSeconds(roots: number[]): number {
  let ticks = 0;
  for (const pid of processTree(roots)) ticks += readStat(pid)?.cpuTicks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** Resident memory (bytes) of the process trees under `roots`. */
export function rssBytes(roots: number[]): number {
  let kb = 0;
  for (const pid of processTree(roots)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += match ? Number(match[1]) : 0;
    } catch {
      // exited
    }
  }
  return kb * 1024;
}

export { freePort } from '../test/hosts/wrangler-dev.ts';

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

/** mulberry32: a small seeded PRNG, so every design sees the same workload. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples 0..n-1 with probability proportional to 1/(k+1)^s. */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cumulative[k] = sum += 1 / (k + 1) ** s;
  return () => {
    const target = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** High-resolution wall clock in ms, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();
