// Client inbox routes: the user's own notifications, their read state, and
// acknowledgements from clients without a WebSocket. The user is always the
// token's subject; nothing here names a user.

import { Hono } from 'hono';
import type { z } from 'zod';
import { jsonBody } from '../auth/publisher.ts';
import { requireBearer } from '../auth/authenticate.ts';
import type { HubContext, HubEnv } from '../context.ts';
import type { InboxTarget } from '../actor/inbox.ts';
import type { InboxAction } from '../../protocol/wire.ts';
import { idsBody, inboxQuery, readBody, throughBody } from '../schemas.ts';
import { validate } from '../validate.ts';
import { encode, raw } from '../json.ts';

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

/** GET /v1/inbox: a page of the user's inbox, newest first, with the counts. */
async function listInbox(c: HubContext, { status = 'all', before, limit = 20 }: z.infer<typeof inboxQuery>) {
  const credential = await requireBearer(c);
  const page = await c.get('backend').actor(credential.userId).listInbox(status, before, limit, credential);
  return c.body(encode({ items: page.items.map(raw), counts: page.counts, next: page.next }), 200, HEADERS);
}

/** POST /v1/inbox/<action>: changes the named items; answers what changed, what was unknown, and the counts. */
async function changeInbox(c: HubContext, action: InboxAction, target: InboxTarget) {
  const credential = await requireBearer(c);
  const result = await c.get('backend').actor(credential.userId).changeInbox(action, target, credential);
  return c.json(result, 200, { 'Cache-Control': 'no-store' });
}

export const inboxRoutes = new Hono<HubEnv>()
  .get('/v1/inbox', validate('query', inboxQuery), (c) => listInbox(c, c.req.valid('query')))
  .post('/v1/inbox/seen', jsonBody, validate('json', throughBody), (c) => changeInbox(c, 'seen', c.req.valid('json')))
  .post('/v1/inbox/read', jsonBody, validate('json', readBody), (c) => changeInbox(c, 'read', c.req.valid('json')))
  .post('/v1/inbox/unread', jsonBody, validate('json', idsBody), (c) => changeInbox(c, 'unread', c.req.valid('json')))
  .post('/v1/inbox/archive', jsonBody, validate('json', idsBody), (c) => changeInbox(c, 'archive', c.req.valid('json')))
  .post('/v1/acks', jsonBody, validate('json', throughBody), async (c) => {
    const credential = await requireBearer(c);
    const { through } = c.req.valid('json');
    return c.json(await c.get('backend').actor(credential.userId).acknowledge(through, credential), 200, { 'Cache-Control': 'no-store' });
  });
