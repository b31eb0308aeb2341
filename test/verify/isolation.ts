// Guarantee: isolation. Many users, each with a token of its own; events,
// batches and jobs go to random users; then every user's client reads through
// every client path (long-poll log, WebSocket replay, SSE replay, job list,
// job by id) and must see exactly its own events and jobs and nothing of
// anyone else's. Every event carries its owner, so a leak is recognised by its
// content, not only by counting. Forged credentials of every kind are refused
// with 401 on the HTTP routes and on the WebSocket upgrade.

import { tokenFor } from '../helpers/requests.ts';
import { forgedCredentials, forgedTickets } from './forged-credentials.ts';
import {
  bearerFetch,
  closeSocket,
  errorCode,
  isErrorBody,
  readSseReplay,
  readUntilReady,
  REQUEST_TIMEOUT_MS,
  signedFetch,
  upgrade,
  webhookHeaders,
  type Frame,
} from './hub-wire.ts';
import { runBounded } from './run-bounded.ts';
import { createRandom, type Random } from './seeded-random.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

interface Plan {
  users: number;
  events: number;
  jobs: number;
  batches: number;
  batchSize: number;
  /** Users whose WebSocket and SSE replays are read (every one at full scale). */
  streamUsers: number;
  concurrency: number;
  budgetMs: number;
}

const PLANS: Record<Scale, Plan> = {
  quick: { users: 40, events: 100, jobs: 30, batches: 4, batchSize: 6, streamUsers: 12, concurrency: 8, budgetMs: 90_000 },
  full: { users: 1000, events: 3000, jobs: 1000, batches: 20, batchSize: 40, streamUsers: 1000, concurrency: 8, budgetMs: 600_000 },
};

const EVENT_TYPE = 'iso.event';
const BATCH_TYPE = 'iso.batch';

/** What one user must see: each event id with the mark of what it carries, and its job ids. */
interface Expected {
  events: Map<string, string>;
  jobs: Set<string>;
}

interface World {
  users: string[];
  tokens: Map<string, string>;
  expected: Map<string, Expected>;
  /** Job id → owner. Job ids are unique across users, so a foreign one is recognisable. */
  jobOwners: Map<string, string>;
  /** Batch number → the users it named. */
  batchMembers: Map<number, Set<string>>;
}

export interface IsolationOptions {
  /** Seed of the workload; the same seed gives the same users' shares of events and jobs. */
  seed?: number;
}

export async function runIsolation(base: string, scale: Scale, options: IsolationOptions = {}): Promise<SuiteReport> {
  const plan = PLANS[scale];
  const tally = new Tally();
  const random = createRandom(options.seed ?? 0x15014710);
  const deadline = Date.now() + plan.budgetMs;
  // Ids are fresh per run (a host's storage outlives runs); the seed fixes everything else.
  const runTag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const users = Array.from({ length: plan.users }, (_, i) => `iso-${runTag}-${i}`);
  const world: World = {
    users,
    tokens: new Map(await Promise.all(users.map(async (user) => [user, await tokenFor(user, 3600)] as const))),
    expected: new Map(users.map((user) => [user, { events: new Map(), jobs: new Set() }])),
    jobOwners: new Map(),
    batchMembers: new Map(),
  };
  tally.set('users', users.length);
  tally.set('published', 0);
  tally.set('reads', 0);
  tally.set('leaks', 0);

  await publishWorkload(base, plan, random, world, tally, deadline);
  // Before the reads: an event a replay injected would show up there as a leak.
  await replayAcrossUsers(base, world, tally);
  await readEveryPath(base, plan, world, tally, deadline);
  await refuseForgeries(base, world, tally);
  tally.expect(Date.now() <= deadline, `the suite ran past its ${plan.budgetMs / 1000} s budget`);
  return tally.report();
}

/**
 * Signed requests captured on their way to one user (a publish, a job update, a
 * presence read), replayed verbatim to another user's URL: every one refused.
 */
async function replayAcrossUsers(base: string, world: World, tally: Tally) {
  tally.set('crossUserReplays', 0);
  tally.set('crossUserAccepted', 0);
  const pairs = Math.min(20, Math.floor(world.users.length / 2));
  for (let i = 0; i < pairs; i++) {
    const [owner, victim] = [world.users[2 * i]!, world.users[2 * i + 1]!];
    const publish = JSON.stringify({ userId: owner, type: 'replayed.elsewhere', data: { i } });
    const job = JSON.stringify({ userId: owner, jobId: 'replayed', status: 'succeeded', result: { url: 'https://attacker.example/' } });
    const presence = `/v1/users/${owner}/presence`;
    const captured: Array<[string, string, string | undefined, string]> = [
      ['POST', `/v1/users/${victim}/events`, publish, publish],
      ['PUT', `/v1/users/${victim}/jobs/replayed`, job, job],
      ['GET', `/v1/users/${victim}/presence`, undefined, `GET ${presence}`],
      ['GET', `/v1/users/${victim}/stats`, undefined, `GET ${presence}`],
    ];
    for (const [method, path, body, signedOver] of captured) {
      const headers: Record<string, string> = await webhookHeaders(signedOver);
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const response = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await response.body?.cancel();
      tally.add('crossUserReplays');
      if (response.status < 400) {
        tally.add('crossUserAccepted');
        tally.expect(false, `a ${method} signed for ${owner}, replayed to ${path}, was accepted with ${response.status}`);
      }
    }
  }
}

/** POSTs or PUTs with a signature; a 429 is retried after its Retry-After, as the publisher library does. */
async function publishWithRetry(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await send();
    if (response.status !== 429 || attempt === 4) return response;
    await response.body?.cancel();
    const seconds = Number(response.headers.get('Retry-After')) || 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(seconds, 5) * 1000));
  }
}

type PublishTask =
  | { kind: 'event'; user: string; n: number }
  | { kind: 'job'; user: string; jobId: string; status: string }
  | { kind: 'batch'; users: string[]; batch: number };

async function publishWorkload(base: string, plan: Plan, random: Random, world: World, tally: Tally, deadline: number) {
  const { users } = world;
  const tasks: PublishTask[] = [];
  // The first user is the forgeries' victim: it always holds an event.
  tasks.push({ kind: 'event', user: users[0]!, n: 0 });
  for (let n = 1; n < plan.events; n++) tasks.push({ kind: 'event', user: random.pick(users), n });
  for (let k = 0; k < plan.jobs; k++) {
    const user = random.pick(users);
    const jobId = `j-${user}-${k}`;
    world.jobOwners.set(jobId, user);
    tasks.push({ kind: 'job', user, jobId, status: random.pick(['queued', 'running', 'succeeded', 'failed']) });
  }
  for (let batch = 0; batch < plan.batches; batch++) {
    const named = Array.from({ length: plan.batchSize }, () => random.pick(users));
    named.push(named[0]!); // a repeated user id is merged: one event for it
    world.batchMembers.set(batch, new Set(named));
    tasks.push({ kind: 'batch', users: named, batch });
  }
  random.shuffle(tasks);

  const record = (user: string, id: unknown, mark: string) => {
    if (typeof id !== 'string') return tally.expect(false, `a publish for ${user} answered without an event id`);
    const events = world.expected.get(user)!.events;
    tally.expect(!events.has(id), `${user}: event id ${id} was answered twice`);
    events.set(id, mark);
    tally.add('published');
  };

  const run = await runBounded(tasks, { concurrency: plan.concurrency, deadline }, async (task) => {
    if (task.kind === 'event') {
      const response = await publishWithRetry(() =>
        signedFetch(base, 'POST', `/v1/users/${task.user}/events`, {
          type: EVENT_TYPE,
          data: { owner: task.user, n: task.n },
        }),
      );
      const text = await response.text();
      if (response.status !== 202) return tally.expect(false, `publish to ${task.user} answered ${response.status} ${text}`);
      record(task.user, (JSON.parse(text) as { id?: unknown }).id, `event:${task.user}:${task.n}`);
    } else if (task.kind === 'job') {
      const update: Record<string, unknown> = { status: task.status };
      if (task.status === 'running') update.progress = 0.5;
      if (task.status === 'succeeded') update.result = { owner: task.user };
      if (task.status === 'failed') update.error = { owner: task.user, code: 'boom' };
      const response = await publishWithRetry(() =>
        signedFetch(base, 'PUT', `/v1/users/${task.user}/jobs/${task.jobId}`, update),
      );
      const text = await response.text();
      if (response.status !== 201) return tally.expect(false, `job ${task.jobId} answered ${response.status} ${text}`);
      world.expected.get(task.user)!.jobs.add(task.jobId);
      record(task.user, (JSON.parse(text) as { eventId?: unknown }).eventId, `job:${task.jobId}`);
    } else {
      const response = await publishWithRetry(() =>
        signedFetch(base, 'POST', '/v1/events:batch', { userIds: task.users, type: BATCH_TYPE, data: { batch: task.batch } }),
      );
      const text = await response.text();
      if (response.status !== 202) return tally.expect(false, `batch ${task.batch} answered ${response.status} ${text}`);
      const results = (JSON.parse(text) as { results: Array<{ userId: string; id?: string; error?: unknown }> }).results;
      tally.expect(
        results.length === world.batchMembers.get(task.batch)!.size,
        `batch ${task.batch}: ${results.length} results for ${world.batchMembers.get(task.batch)!.size} distinct users`,
      );
      for (const result of results) {
        if (result.error !== undefined || !world.batchMembers.get(task.batch)!.has(result.userId)) {
          tally.expect(false, `batch ${task.batch}: unexpected result ${JSON.stringify(result)}`);
          continue;
        }
        record(result.userId, result.id, `batch:${task.batch}`);
      }
    }
  });
  for (const { index, error } of run.errors.slice(0, 5)) tally.expect(false, `publish task ${index} failed: ${String(error)}`);
  tally.expect(run.skipped === 0, `${run.skipped} publishes never ran: out of time`);
  tally.set('jobs', world.jobOwners.size);
}

/** The owner a received frame belongs to, judged by its content alone. */
function ownerMark(world: World, me: string, frame: Frame): { mark: string; foreign: boolean } {
  const data = (frame.data ?? {}) as Record<string, unknown>;
  if (frame.type === EVENT_TYPE) {
    return { mark: `event:${String(data.owner)}:${String(data.n)}`, foreign: data.owner !== me };
  }
  if (frame.type === BATCH_TYPE) {
    const members = world.batchMembers.get(Number(data.batch));
    return { mark: `batch:${String(data.batch)}`, foreign: !members?.has(me) };
  }
  if (frame.type.startsWith('job.')) {
    const owner = world.jobOwners.get(String(data.id));
    const stated = (data.result as { owner?: unknown } | null)?.owner ?? (data.error as { owner?: unknown } | null)?.owner;
    return { mark: `job:${String(data.id)}`, foreign: owner !== me || (stated !== undefined && stated !== me) };
  }
  return { mark: `unknown:${frame.type}`, foreign: true };
}

/** Compares what one path delivered with what the user must see. */
function checkFrames(world: World, tally: Tally, me: string, path: string, frames: Frame[]) {
  const expected = world.expected.get(me)!.events;
  const seen = new Set<string>();
  let previous = 0;
  for (const frame of frames) {
    if (frame.id === undefined) {
      tally.expect(frame.type === 'hub.ready', `${me} via ${path}: unexpected control frame ${frame.type}`);
      continue;
    }
    const { mark, foreign } = ownerMark(world, me, frame);
    if (foreign) {
      tally.add('leaks');
      tally.expect(false, `${me} via ${path}: saw another user's event ${frame.id} (${mark})`);
      continue;
    }
    tally.expect(Number(frame.id) > previous, `${me} via ${path}: event ${frame.id} out of order`);
    previous = Number(frame.id);
    tally.expect(expected.get(frame.id) === mark, `${me} via ${path}: event ${frame.id} is ${mark}, expected ${expected.get(frame.id)}`);
    seen.add(frame.id);
  }
  const missed = [...expected.keys()].filter((id) => !seen.has(id));
  tally.add('missed', missed.length);
  tally.expect(missed.length === 0, `${me} via ${path}: missed events ${missed.slice(0, 5).join(', ')}`);
}

async function readEveryPath(base: string, plan: Plan, world: World, tally: Tally, deadline: number) {
  const { users, tokens } = world;
  tally.set('missed', 0);
  const allJobs = [...world.jobOwners.keys()];
  // Stream replays for every user at full scale; at quick scale a spread-out subset.
  const streamStride = Math.max(1, Math.floor(users.length / plan.streamUsers));
  const readUser = async (me: string, index: number) => {
    const token = tokens.get(me)!;
    const read = () => tally.add('reads');

    // Long-poll log, page by page.
    const polled: Frame[] = [];
    for (let after = '0', page = 0; page < 50; page++) {
      const response = await bearerFetch(base, `/v1/poll?after=${after}`, token);
      read();
      if (response.status !== 200) return tally.expect(false, `${me}: poll answered ${response.status}`);
      const body = (await response.json()) as { events: Frame[]; lastId: string; more: boolean };
      polled.push(...body.events);
      after = body.lastId;
      if (!body.more) break;
    }
    checkFrames(world, tally, me, 'poll', polled);

    // The job list.
    const list = await bearerFetch(base, '/v1/jobs?limit=100', token);
    read();
    if (list.status !== 200) tally.expect(false, `${me}: job list answered ${list.status}`);
    else {
      const jobs = ((await list.json()) as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
      const mine = world.expected.get(me)!.jobs;
      for (const id of jobs) {
        if (world.jobOwners.get(id) !== me) {
          tally.add('leaks');
          tally.expect(false, `${me}: job list holds another user's job ${id}`);
        }
      }
      tally.expect(jobs.length === mine.size && jobs.every((id) => mine.has(id)), `${me}: job list ${jobs.join(',')} is not exactly its own jobs`);
    }

    // Another user's job by id: 404, as if it did not exist.
    const foreign = allJobs.length > 0 ? allJobs[(index * 7919) % allJobs.length]! : undefined;
    if (foreign !== undefined && world.jobOwners.get(foreign) !== me) {
      const response = await bearerFetch(base, `/v1/jobs/${foreign}`, token);
      read();
      const text = await response.text();
      if (response.status === 200) {
        tally.add('leaks');
        tally.expect(false, `${me}: read another user's job ${foreign}`);
      } else {
        tally.expect(response.status === 404 && errorCode(text) === 'job_not_found', `${me}: foreign job answered ${response.status} ${text}`);
      }
    }
    const own = [...world.expected.get(me)!.jobs][0];
    if (own !== undefined) {
      const response = await bearerFetch(base, `/v1/jobs/${own}`, token);
      read();
      const job = response.status === 200 ? ((await response.json()) as { id: string }) : undefined;
      tally.expect(job?.id === own, `${me}: own job ${own} answered ${response.status}`);
    }

    if (index % streamStride !== 0) return;
    // WebSocket replay: the three ways to authenticate take turns, as do SSE's two.
    const turn = index / streamStride;
    const way = (['header', 'protocol', 'ticket'] as const)[turn % 3]!;
    const ticket = way === 'ticket' ? await issueTicket(base, token) : undefined;
    if (way === 'ticket') read();
    const opened = await upgrade(base, `/v1/connect?after=0${ticket ? `&ticket=${encodeURIComponent(ticket)}` : ''}`, {
      headers: way === 'header' ? { Authorization: `Bearer ${token}` } : undefined,
      protocols: way === 'protocol' ? ['userhub.v1', `userhub.token.${token}`] : undefined,
    });
    read();
    if (opened.kind !== 'open') tally.expect(false, `${me}: WebSocket (${way}) not opened: ${JSON.stringify(opened)}`);
    else {
      try {
        checkFrames(world, tally, me, `WebSocket (${way})`, await readUntilReady(opened.socket));
      } finally {
        await closeSocket(opened.socket);
      }
    }

    // SSE replay, by header or by ticket.
    const sseTicket = turn % 2 === 1 ? await issueTicket(base, token) : undefined;
    if (sseTicket) read();
    const sse = await readSseReplay(
      base,
      `/v1/events?after=0${sseTicket ? `&ticket=${encodeURIComponent(sseTicket)}` : ''}`,
      sseTicket ? {} : { Authorization: `Bearer ${token}` },
    );
    read();
    if (sse.kind !== 'stream') tally.expect(false, `${me}: SSE answered ${sse.status} ${sse.body}`);
    else checkFrames(world, tally, me, `SSE (${sseTicket ? 'ticket' : 'header'})`, sse.frames);
  };

  const run = await runBounded(users, { concurrency: plan.concurrency, deadline }, readUser);
  for (const { index, error } of run.errors.slice(0, 5)) tally.expect(false, `reading ${users[index]} failed: ${String(error)}`);
  tally.expect(run.skipped === 0, `${run.skipped} users never read: out of time`);
}

async function issueTicket(base: string, token: string): Promise<string> {
  const response = await bearerFetch(base, '/v1/tickets', token, { method: 'POST' });
  if (response.status !== 201) throw new Error(`ticket refused: ${response.status}`);
  return ((await response.json()) as { ticket: string }).ticket;
}

/**
 * Every forged credential against GET /v1/events, POST /v1/tickets and the
 * WebSocket upgrade (header, and subprotocol where the token can ride in one);
 * forged tickets against both streams; a spent ticket against both again.
 */
async function refuseForgeries(base: string, world: World, tally: Tally) {
  const victim = world.users[0]!;
  const attacker = world.users[1]!;
  tally.set('forgedTokens', 0);
  tally.set('forgedAccepted', 0);
  const credentials = await forgedCredentials(victim, attacker);
  const tickets = await forgedTickets(victim, attacker);

  const refusedHttp = async (name: string, response: Response) => {
    if (response.ok) {
      // An opened stream would never end: count it and leave.
      await response.body?.cancel();
      tally.add('forgedAccepted');
      return tally.expect(false, `${name}: accepted with ${response.status}`);
    }
    const text = await response.text();
    tally.expect(
      response.status === 401 && isErrorBody(response.headers.get('Content-Type'), text) && errorCode(text) === 'unauthorized',
      `${name}: answered ${response.status} ${text.slice(0, 120)}`,
    );
  };
  const refusedUpgrade = async (name: string, path: string, options: Parameters<typeof upgrade>[2]) => {
    const result = await upgrade(base, path, options);
    if (result.kind === 'open') {
      tally.add('forgedAccepted');
      tally.expect(false, `${name}: WebSocket opened`);
      await closeSocket(result.socket);
      return;
    }
    tally.expect(
      result.kind === 'refused' && result.status === 401 && isErrorBody(result.contentType, result.body),
      `${name}: WebSocket upgrade answered ${JSON.stringify(result).slice(0, 160)}`,
    );
  };

  type Attempt = () => Promise<void>;
  const attempts: Attempt[] = [];
  for (const credential of credentials) {
    tally.add('forgedTokens');
    const headers = { Authorization: credential.authorization };
    attempts.push(
      async () => refusedHttp(`GET /v1/events with ${credential.name}`, await fetch(`${base}/v1/events`, { headers, signal: AbortSignal.timeout(10_000) })),
      async () => refusedHttp(`POST /v1/tickets with ${credential.name}`, await fetch(`${base}/v1/tickets`, { method: 'POST', headers, signal: AbortSignal.timeout(10_000) })),
      () => refusedUpgrade(`/v1/connect with ${credential.name}`, '/v1/connect', { headers }),
    );
    if (credential.protocolToken) {
      const protocols = ['userhub.v1', `userhub.token.${credential.protocolToken}`];
      attempts.push(() => refusedUpgrade(`/v1/connect (subprotocol) with ${credential.name}`, '/v1/connect', { protocols }));
    }
  }
  for (const forged of tickets) {
    tally.add('forgedTokens');
    const query = `ticket=${encodeURIComponent(forged.ticket)}`;
    attempts.push(
      async () => refusedHttp(`GET /v1/events with ${forged.name}`, await fetch(`${base}/v1/events?${query}`, { signal: AbortSignal.timeout(10_000) })),
      () => refusedUpgrade(`/v1/connect with ${forged.name}`, `/v1/connect?${query}`, {}),
    );
  }
  let requests = 0;
  const run = await runBounded(attempts, { concurrency: 8, deadline: Date.now() + 120_000 }, async (attempt) => {
    requests++;
    await attempt();
  });
  for (const { index, error } of run.errors.slice(0, 5)) tally.expect(false, `forged attempt ${index} failed: ${String(error)}`);
  tally.expect(run.skipped === 0, `${run.skipped} forged attempts never ran: out of time`);

  // A genuine ticket opens one stream, once; spent, it opens nothing more.
  const spent = await issueTicket(base, world.tokens.get(victim)!);
  const query = `ticket=${encodeURIComponent(spent)}`;
  const first = await upgrade(base, `/v1/connect?${query}`);
  tally.expect(first.kind === 'open', `a fresh ticket did not open a WebSocket: ${JSON.stringify(first).slice(0, 160)}`);
  if (first.kind === 'open') await closeSocket(first.socket);
  tally.add('forgedTokens');
  await refusedUpgrade('/v1/connect with a spent ticket', `/v1/connect?${query}`, {});
  await refusedHttp('GET /v1/events with a spent ticket', await fetch(`${base}/v1/events?${query}`, { signal: AbortSignal.timeout(10_000) }));
  tally.set('forgedRequests', requests + 2);
}
