// GET /v1/poll: the event log over plain HTTP, as a short poll (wait=0) or a
// long poll parked until the first event after `after` arrives.

import { Hono } from 'hono';
import { requireBearer } from '../auth/authenticate.ts';
import type { z } from 'zod';
import type { HubContext, HubEnv } from '../context.ts';
import { POLL_PAGE_SIZE, TIMED_OUT_HEADER } from '../../protocol/wire.ts';
import { pollQuery } from '../schemas.ts';
import { validate } from '../validate.ts';
import { sessionEnded } from '../errors.ts';
import { encode, raw, type JsonText } from '../json.ts';


const pollBody = (frames: readonly JsonText[], lastId: string, more: boolean) => encode({ events: frames.map(raw), lastId, more });

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/**
 * GET /v1/poll. A short poll reads the log; a long poll is one call to the
 * actor, answered at once when events are retained after `after`, else parked.
 */
async function poll(c: HubContext, { after, wait = 0, limit = POLL_PAGE_SIZE }: z.infer<typeof pollQuery>) {
  const credential = await requireBearer(c);
  const { userId } = credential;
  if (wait === 0) {
    const page = await c.get('backend').actor(userId).poll(after, limit, credential);
    return c.body(pollBody(page.frames, page.lastId, page.more), 200, HEADERS);
  }
  const answer = await c.get('backend').waitForEvents({ userId, credential, waitMs: wait * 1000, signal: c.req.raw.signal }, after, limit);
  if (answer.ended) throw sessionEnded(answer.ended);
  const headers = answer.timedOut ? { ...HEADERS, [TIMED_OUT_HEADER]: 'true' } : HEADERS;
  return c.body(pollBody(answer.frames, answer.lastId, answer.more), 200, headers);
}

export const pollRoutes = new Hono<HubEnv>().get('/v1/poll', validate('query', pollQuery), (c) => poll(c, c.req.valid('query')));
