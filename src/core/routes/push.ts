// Web Push routes: the service's public key for pushManager.subscribe, and a
// user's own push subscriptions (the user is the token's subject). With no
// VAPID keys configured each answers 501 push_disabled.

import { Hono } from 'hono';
import { jsonBody } from '../auth/publisher.ts';
import { requireBearer } from '../auth/authenticate.ts';
import type { PushConfig } from '../config.ts';
import type { HubContext, HubEnv } from '../context.ts';
import { badRequest, HubError } from '../errors.ts';
import { pushEndpointBody, pushSubscriptionBody } from '../schemas.ts';
import { validate } from '../validate.ts';
import { isAllowedPushEndpoint } from '../push-sender.ts';

export { isAllowedPushEndpoint };

function pushConfig(c: HubContext): PushConfig {
  const push = c.get('config').push;
  if (!push) throw new HubError('push_disabled', 'Web Push is off: the service has no VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT).');
  return push;
}

function checkEndpoint(push: PushConfig, endpoint: string): void {
  if (!isAllowedPushEndpoint(push.endpointHosts, endpoint)) {
    throw badRequest(`endpoint: not a push service this server sends to (PUSH_ENDPOINT_HOSTS: ${push.endpointHosts.join(', ')}; port 443 unless an entry names another; no user or password).`);
  }
}

export const pushRoutes = new Hono<HubEnv>()
  .get('/v1/push/key', (c) => c.json({ publicKey: pushConfig(c).publicKey }, 200, { 'Cache-Control': 'public, max-age=3600' }))
  .post('/v1/push/subscriptions', jsonBody, validate('json', pushSubscriptionBody), async (c) => {
    const push = pushConfig(c);
    const { endpoint, keys } = c.req.valid('json');
    checkEndpoint(push, endpoint);
    const credential = await requireBearer(c);
    const result = await c.get('backend').actor(credential.userId).subscribePush({ endpoint, p256dh: keys.p256dh, auth: keys.auth }, credential);
    return c.json(result, 201);
  })
  .delete('/v1/push/subscriptions', jsonBody, validate('json', pushEndpointBody), async (c) => {
    pushConfig(c);
    const credential = await requireBearer(c);
    return c.json(await c.get('backend').actor(credential.userId).unsubscribePush(c.req.valid('json').endpoint, credential));
  });
