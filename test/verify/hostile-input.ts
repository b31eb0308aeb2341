// Guarantee: hostile input is refused at the edge and never stored. A seeded
// corpus of malformed, oversized, mis-signed and mis-addressed requests (see
// hostile-corpus.ts) must each get a documented 4xx with a JSON error body;
// hostile WebSocket frames (hostile-frames.ts) a documented close code or a
// hub.error frame. Afterwards the target users, read back through the API
// with valid credentials, hold no event and no job, a reused webhook-id has
// stored nothing twice, and the host answered /v1/health throughout.

import { Agent, fetch as undiciFetch, type RequestInit as UndiciInit } from 'undici';
import { tokenFor } from '../helpers/requests.ts';
import { hostileCorpus, sampleCorpus, type CorpusContext, type HttpCase } from './hostile-corpus.ts';
import { hostileFrames, sendFrames, type FrameCase } from './hostile-frames.ts';
import { bearerFetch, closeSocket, errorCode, isErrorBody, isHealthy, signedFetch, upgrade } from './hub-wire.ts';
import { runRawRequests, type RawOptions } from './raw-requests.ts';
import { runBounded } from './run-bounded.ts';
import { createRandom } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';
import { checkReplays } from './webhook-replays.ts';

interface Plan {
  /** HTTP cases drawn from the corpus (every one at full scale). */
  corpus: number;
  frames: number;
  concurrency: number;
  budgetMs: number;
}

const PLANS: Record<Scale, Plan> = {
  quick: { corpus: 120, frames: 12, concurrency: 8, budgetMs: 90_000 },
  full: { corpus: Infinity, frames: Infinity, concurrency: 8, budgetMs: 600_000 },
};

/** Target users every publish attempt of the corpus names. */
const TARGETS = 4;

export interface HostileInputOptions extends RawOptions {
  /** Seed of the corpus; the same seed gives the same requests. */
  seed?: number;
}

export async function runHostileInput(base: string, scale: Scale, options: HostileInputOptions = {}): Promise<SuiteReport> {
  const plan = PLANS[scale];
  const tally = new Tally();
  const random = createRandom(options.seed ?? 0x4057113);
  const deadline = Date.now() + plan.budgetMs;
  // Ids are fresh per run (a host's storage outlives runs); the seed fixes the corpus.
  const runTag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const targets = Array.from({ length: TARGETS }, (_, i) => `hx-${runTag}-${i}`);
  const context: CorpusContext = {
    targets,
    tokens: new Map(await Promise.all(targets.map(async (user) => [user, await tokenFor(user, 3600)] as const))),
  };
  for (const name of ['requests', 'fourXX', 'serverErrors', 'nonJsonErrors', 'wrongStatus', 'dropped', 'wsCases']) tally.set(name, 0);

  const corpus = hostileCorpus(random);
  const cases = plan.corpus >= corpus.length ? corpus : sampleCorpus(corpus, plan.corpus, random);
  const frames = hostileFrames(random);
  const frameCases = plan.frames >= frames.length ? frames : sampleFrames(frames, plan.frames);
  const monitor = watchHealth(base);

  const run = await runBounded(cases, { concurrency: plan.concurrency, deadline }, (entry) => sendCase(base, entry, context, tally));
  for (const { index, error } of run.errors.slice(0, 10)) tally.expect(false, `${cases[index]!.name}: ${String(error)}`);
  tally.expect(run.skipped === 0, `${run.skipped} of ${cases.length} requests never ran: out of time`);

  await sendTransportCases(base, context, tally);
  const frameRun = await runBounded(frameCases, { concurrency: TARGETS, deadline }, (entry, index) =>
    sendFrames(base, targets[index % TARGETS]!, context.tokens.get(targets[index % TARGETS]!)!, entry, tally),
  );
  for (const { index, error } of frameRun.errors.slice(0, 10)) tally.expect(false, `WebSocket ${frameCases[index]!.name}: ${String(error)}`);
  tally.expect(frameRun.skipped === 0, `${frameRun.skipped} WebSocket cases never ran: out of time`);

  await checkReplays(base, runTag, tally);
  // Below HTTP: request lines, headers and upgrades no client library would send.
  const raw = await runRawRequests(base, { devProxy: options.devProxy });
  for (const [name, value] of Object.entries(raw.figures)) {
    if (name !== 'hostUp') tally.set(name.startsWith('raw') ? name : `raw${name[0]!.toUpperCase()}${name.slice(1)}`, value);
  }
  for (const failure of raw.failures) tally.expect(false, `raw: ${failure}`);
  const health = await monitor.stop();
  await checkNothingStored(base, context, tally);

  const upAfter = await isHealthy(base);
  tally.set('hostUp', health.failures === 0 && upAfter ? 1 : 0);
  tally.expect(health.failures === 0, `/v1/health failed ${health.failures} of ${health.checks} times during the run`);
  tally.expect(upAfter, '/v1/health did not answer 200 after the run');
  tally.expect(Date.now() <= deadline, `the suite ran past its ${plan.budgetMs / 1000} s budget`);
  return tally.report();
}

/** An even spread of the frame cases. */
function sampleFrames(frames: FrameCase[], size: number): FrameCase[] {
  const stride = frames.length / size;
  return [...new Set(Array.from({ length: size }, (_, i) => frames[Math.floor(i * stride)]!))];
}

/** Polls /v1/health every second until stopped. */
function watchHealth(base: string) {
  let checks = 0;
  let failures = 0;
  let stopped = false;
  let wake = () => {};
  const loop = (async () => {
    while (!stopped) {
      checks++;
      if (!(await isHealthy(base))) failures++;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
      return { checks, failures };
    },
  };
}

/** Counts one answer to a corpus request and checks it against the case. */
function judge(tally: Tally, entry: HttpCase, status: number, contentType: string | null, text: string) {
  const what = `${entry.category}: ${entry.name}`;
  tally.add('requests');
  if (status >= 500) {
    tally.add('serverErrors');
    tally.expect(false, `${what}: answered ${status} ${text.slice(0, 120)}`);
  } else if (status >= 400) {
    tally.add('fourXX');
    if (!entry.expect.includes(status)) {
      tally.add('wrongStatus');
      tally.expect(false, `${what}: answered ${status}, documented ${entry.expect.join(' or ')} (${text.slice(0, 120)})`);
    }
  } else {
    tally.expect(false, `${what}: accepted with ${status} ${text.slice(0, 120)}`);
  }
  if (status >= 400 && !isErrorBody(contentType, text)) {
    tally.add('nonJsonErrors');
    tally.expect(false, `${what}: ${status} without a JSON error body (${contentType}: ${text.slice(0, 80)})`);
  }
}

async function sendCase(base: string, entry: HttpCase, context: CorpusContext, tally: Tally): Promise<void> {
  const request = await entry.build(context);
  if (entry.via === 'upgrade') {
    const result = await upgrade(base, request.path, { headers: request.headers });
    if (result.kind === 'open') {
      tally.add('requests');
      tally.expect(false, `${entry.category}: ${entry.name}: WebSocket opened`);
      return closeSocket(result.socket);
    }
    if (result.kind === 'failed') return tally.expect(false, `${entry.category}: ${entry.name}: upgrade failed: ${result.error}`);
    return judge(tally, entry, result.status, result.contentType, result.body);
  }
  let response: Response;
  const connection = entry.ownConnection ? new Agent({ connections: 1 }) : undefined;
  try {
    const init = {
      method: request.method,
      headers: request.headers,
      body: request.body,
      duplex: 'half',
      signal: AbortSignal.timeout(30_000),
    };
    response = connection
      ? ((await undiciFetch(`${base}${request.path}`, { ...init, dispatcher: connection } as UndiciInit)) as unknown as Response)
      : await fetch(`${base}${request.path}`, init as RequestInit);
  } catch (error) {
    await connection?.destroy();
    // Rule for megabyte bodies: a host may answer 413 and close the connection
    // before the body is sent; the sender then sees a network error. That
    // counts as refused when the case is a 413 case and the host is still up.
    if (entry.mayDrop && (await isHealthy(base))) {
      tally.add('requests');
      tally.add('dropped');
      return;
    }
    return tally.expect(false, `${entry.category}: ${entry.name}: ${String((error as Error).cause ?? error)}`);
  }
  const contentType = response.headers.get('Content-Type');
  if (contentType?.startsWith('text/event-stream')) {
    await response.body?.cancel();
    await connection?.destroy();
    tally.add('requests');
    return tally.expect(false, `${entry.category}: ${entry.name}: opened an event stream (${response.status})`);
  }
  judge(tally, entry, response.status, contentType, await response.text());
  await connection?.destroy();
}

/**
 * Requests past the HTTP server's own limits (URL or headers over 16 KiB, a
 * method no parser knows) are answered by the runtime before the app sees
 * them: Node and Bun say 431 or close, Deno and workerd 400/414/501, without
 * the app's JSON body. Rule: any 4xx, 501 for an unknown method, or a closed
 * connection, and the host stays up. Counted apart from the corpus.
 */
async function sendTransportCases(base: string, context: CorpusContext, tally: Tally) {
  const target = context.targets[0]!;
  const auth = { Authorization: `Bearer ${context.tokens.get(target)!}` };
  const cases: Array<{ name: string; method: string; path: string; headers?: Record<string, string>; unknownMethod?: boolean }> = [
    { name: 'a 20 KB URL', method: 'GET', path: `/v1/poll?after=-1&pad=${'p'.repeat(20_000)}`, headers: auth },
    { name: 'a 100 KB URL', method: 'GET', path: `/v1/poll?after=-1&pad=${'p'.repeat(100_000)}`, headers: auth },
    { name: 'a 20 KB header', method: 'GET', path: '/v1/poll?after=-1', headers: { ...auth, 'X-Pad': 'p'.repeat(20_000) } },
    { name: 'a 100 KB header', method: 'POST', path: `/v1/users/${target}/events`, headers: { 'X-Pad': 'p'.repeat(100_000) } },
    { name: 'method FOO', method: 'FOO', path: '/v1/events', unknownMethod: true },
    { name: 'method BREW on publish', method: 'BREW', path: `/v1/users/${target}/events`, unknownMethod: true },
  ];
  tally.set('transportCases', 0);
  tally.set('transportNonJson', 0);
  for (const entry of cases) {
    tally.add('transportCases');
    try {
      const response = await fetch(`${base}${entry.path}`, {
        method: entry.method,
        headers: entry.headers,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      const refused = (response.status >= 400 && response.status < 500) || (entry.unknownMethod === true && response.status === 501);
      tally.expect(refused, `transport: ${entry.name}: answered ${response.status} ${text.slice(0, 80)}`);
      if (!isErrorBody(response.headers.get('Content-Type'), text)) tally.add('transportNonJson');
    } catch (error) {
      tally.add('transportNonJson');
      tally.expect(await isHealthy(base), `transport: ${entry.name}: ${String(error)}, and the host is down`);
    }
  }
}

/** Reads every target back with valid credentials: no event ever stored, no job, presence answers. */
async function checkNothingStored(base: string, context: CorpusContext, tally: Tally) {
  tally.set('storedRows', 0);
  for (const user of context.targets) {
    const token = context.tokens.get(user)!;
    const poll = await bearerFetch(base, '/v1/poll?after=0', token);
    const log = poll.status === 200 ? ((await poll.json()) as { events: unknown[]; lastId: string }) : undefined;
    tally.expect(log !== undefined, `${user}: poll answered ${poll.status}`);
    // lastId counts every event ever stored for the user, pruned or not.
    const events = Number(log?.lastId ?? 0);
    tally.add('storedRows', events);
    tally.expect(events === 0, `${user}: ${events} events stored: ${JSON.stringify(log?.events).slice(0, 200)}`);

    const list = await bearerFetch(base, '/v1/jobs?limit=100', token);
    const jobs = list.status === 200 ? ((await list.json()) as { jobs: unknown[] }).jobs : undefined;
    tally.expect(jobs !== undefined, `${user}: job list answered ${list.status}`);
    tally.add('storedRows', jobs?.length ?? 0);
    tally.expect((jobs?.length ?? 0) === 0, `${user}: ${jobs?.length} jobs stored: ${JSON.stringify(jobs).slice(0, 200)}`);

    const presence = await signedFetch(base, 'GET', `/v1/users/${user}/presence`);
    const text = await presence.text();
    tally.expect(
      presence.status === 200 && typeof (JSON.parse(text) as { online?: unknown }).online === 'boolean',
      `${user}: signed presence answered ${presence.status} ${text.slice(0, 100)} (${errorCode(text) ?? ''})`,
    );
  }
}
