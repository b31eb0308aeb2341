// Suite 3, the retention edge: a host keeping the last RETENTION_MAX_EVENTS
// events, pruned. Resume points just inside the retained window replay it in
// full with no reset; points just outside, or beyond the last id, get an
// explicit hub.reset first. Never a silent gap, on any transport.

import { publishRequest, tokenFor, uniqueUser } from '../helpers/requests.ts';
import { bearerFetch, closeSocket, readSseReplay, readUntilReady, upgrade, type Frame } from './hub-wire.ts';
import { Tally, type Scale, type SuiteReport } from './suite.ts';

/** Settings the host under test must run with (merged over the usual test vars). */
export const RETENTION_VARS = { RETENTION_MAX_EVENTS: '20', PRUNE_DELAY_SECONDS: '1' } as const;
const RETAINED = Number(RETENTION_VARS.RETENTION_MAX_EVENTS);

const SCALES = { quick: { users: 1, published: 50 }, full: { users: 5, published: 90 } } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Reader = (base: string, token: string, after: number) => Promise<Frame[]>;

const READERS: Record<string, Reader> = {
  async websocket(base, token, after) {
    const opened = await upgrade(base, `/v1/connect?after=${after}`, { headers: { Authorization: `Bearer ${token}` } });
    if (opened.kind !== 'open') throw new Error(`WebSocket refused: ${JSON.stringify(opened)}`);
    try {
      return await readUntilReady(opened.socket);
    } finally {
      await closeSocket(opened.socket);
    }
  },
  async sse(base, token, after) {
    const replay = await readSseReplay(base, '/v1/events', { Authorization: `Bearer ${token}`, 'Last-Event-ID': String(after) });
    if (replay.kind !== 'stream') throw new Error(`SSE refused: ${replay.status}`);
    return replay.frames;
  },
  async poll(base, token, after) {
    const response = await bearerFetch(base, `/v1/poll?after=${after}&limit=100`, token);
    return ((await response.json()) as { events: Frame[] }).events;
  },
};

export async function runRetentionEdge(base: string, scale: Scale): Promise<SuiteReport> {
  const size = SCALES[scale];
  const tally = new Tally();
  for (let u = 0; u < size.users; u++) {
    const user = uniqueUser('retention');
    const token = await tokenFor(user);
    for (let i = 0; i < size.published; i++) {
      const response = await fetch(await publishRequest(base, user, 'n', { i }));
      tally.expect(response.status === 202, `publish ${i} answered ${response.status}`);
      await response.body?.cancel();
    }
    const last = size.published;
    const firstRetained = last - RETAINED + 1;

    // The prune alarm runs within PRUNE_DELAY_SECONDS of the last publish.
    const deadline = Date.now() + 20_000;
    let pruned = false;
    while (!pruned && Date.now() < deadline) {
      const frames = await READERS.poll!(base, token, 0);
      pruned = frames[0]?.type === 'hub.reset' && Number(frames[1]?.id) === firstRetained;
      if (!pruned) await sleep(250);
    }
    tally.expect(pruned, `events were not pruned to the last ${RETAINED} within 20 s`);

    const cases = [
      { after: firstRetained - 1, reset: null, label: 'just inside' },
      { after: firstRetained - 2, reset: 'not_retained', label: 'just outside' },
      { after: 0, reset: 'not_retained', label: 'from the start' },
      { after: last, reset: null, label: 'at the last id' },
      { after: last + 1, reset: 'unknown_id', label: 'beyond the last id' },
    ];
    for (const [transport, read] of Object.entries(READERS)) {
      for (const { after, reset, label } of cases) {
        tally.add('cases');
        const frames = await read(base, token, after);
        const ids = frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));
        const resets = frames.filter((f) => f.type === 'hub.reset');
        // After a reset the retained events follow (README, control frames).
        const from = reset === null ? after : firstRetained - 1;
        const expectedIds = Array.from({ length: last - from }, (_, i) => from + i + 1);
        // A gap nobody was told about: ids skipped with no reset in front of them.
        const silentGap = resets.length === 0 && ids.length > 0 && ids[0] !== after + 1;
        if (silentGap) tally.add('silentGaps');
        if (reset === null && resets.length === 0 && ids.length === expectedIds.length && ids.length > 0) tally.add('fullReplays');
        if (resets.length > 0) tally.add('explicitResets');
        const ok =
          !silentGap &&
          resets.length === (reset ? 1 : 0) &&
          (reset === null || (resets[0]!.data as { reason: string }).reason === reset) &&
          JSON.stringify(ids) === JSON.stringify(expectedIds);
        if (!ok) tally.add('wrongAnswers');
        tally.expect(ok, `${transport} resuming ${label} (after=${after}): got ${resets.length} resets and ids ${ids[0] ?? '-'}..${ids.at(-1) ?? '-'}`);
      }
    }
  }
  tally.set('silentGaps', tally.figures.silentGaps ?? 0);
  tally.set('wrongAnswers', tally.figures.wrongAnswers ?? 0);
  return tally.report();
}
