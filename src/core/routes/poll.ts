// GET /v1/poll: the event log over plain HTTP, as a short poll (wait=0) or a
// long poll parked until the first event after `after` arrives.

import { Hono } from 'hono';
import { requireBearer } from '../auth/authenticate.ts';
import type { HubEnv } from '../context.ts';
import { POLL_PAGE_SIZE, TIMED_OUT_HEADER } from '../../protocol/wire.ts';
import { pollQuery } from '../schemas.ts';
import { validate } from '../validate.ts';


function pollBody(frames: readonly string[], lastId: string, more: boolean): string {
  return `{"events":[${frames.join(',')}],"lastId":"${lastId}","more":${more}}`;
}

/** The id of the last notification among frames, if any. */
function lastIdOf(frames: readonly string[]): string | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const id = (JSON.parse(frames[i]!) as { id?: string }).id;
    if (id !== undefined) return id;
  }
  return undefined;
}

export const pollRoutes = new Hono<HubEnv>().get('/v1/poll', validate('query', pollQuery), async (c) => {
  const userId = await requireBearer(c);
  const { after, wait = 0, limit = POLL_PAGE_SIZE } = c.req.valid('query');
  const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
  const { backend } = c.var;

  const first = await backend.poll(userId, after, limit);
  if (first.frames.length > 0 || wait === 0) {
    return c.body(pollBody(first.frames, first.lastId, first.more), 200, headers);
  }
  const from = Number(first.lastId);
  const frames = await backend.waitForEvents({ userId, waitMs: wait * 1000, signal: c.req.raw.signal }, from);
  if (frames.length === 0) {
    return c.body(pollBody([], first.lastId, false), 200, { ...headers, [TIMED_OUT_HEADER]: 'true' });
  }
  const page = frames.slice(0, limit);
  return c.body(pollBody(page, lastIdOf(page) ?? first.lastId, frames.length > limit), 200, headers);
});
