// Builds signed publisher requests and client tokens, the same on every host.

import { signClientToken } from '../../src/core/auth/client-token.ts';
import { signedContent, signWebhook } from '../../src/shared/webhook-signature.ts';
import { TEST_VARS } from './test-vars.ts';

let counter = 0;
/** A user id no other test uses. */
export const uniqueUser = (prefix = 'user'): string =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export const tokenFor = (userId: string, ttlSeconds = 600): Promise<string> =>
  signClientToken(TEST_VARS.JWT_SECRET, userId, ttlSeconds);

export interface PublishOptions {
  webhookId?: string;
  secret?: string;
  timestamp?: number;
  /** The `userId` the body names: by default the target's; null leaves it out (the unbound form). */
  bodyUserId?: string | null;
}

export { bindTarget } from '../../src/publisher/index.ts';

/** What a request signs: its body, or `METHOD path?query` when it has none. */
export const signedText = (method: string, url: string, body: string | undefined): string =>
  signedContent(method, `${new URL(url).pathname}${new URL(url).search}`, body);

/** A signed `POST /v1/users/:userId/events` as a Request (base is the host). */
export async function publishRequest(
  base: string,
  userId: string,
  type: string,
  data: unknown,
  options: PublishOptions = {},
): Promise<Request> {
  const bodyUserId = options.bodyUserId === undefined ? userId : options.bodyUserId;
  const body = JSON.stringify(bodyUserId === null ? { type, data } : { userId: bodyUserId, type, data });
  const signature = await signWebhook(
    options.secret ?? TEST_VARS.WEBHOOK_SECRET,
    options.webhookId ?? `msg_${crypto.randomUUID()}`,
    body,
    options.timestamp,
  );
  return new Request(`${base}/v1/users/${encodeURIComponent(userId)}/events`, {
    method: 'POST',
    headers: { ...signature, 'Content-Type': 'application/json' },
    body,
  });
}
