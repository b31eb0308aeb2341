// Request schemas, validated at the edge before anything reaches an actor.

import { z } from 'zod';
import { base64UrlToBytes } from '../shared/base64.ts';
import {
  EVENT_TYPE_PATTERN,
  INBOX_STATUSES,
  isReservedType,
  MAX_INBOX_IDS,
  RESERVED_TYPE_PREFIXES,
  JOB_STATUSES,
  MAX_BATCH_USERS,
  MAX_WAIT_SECONDS,
  parseEventId,
  POLL_PAGE_SIZE,
  USER_ID_PATTERN,
} from '../protocol/wire.ts';

/** JSON nested deeper than this is refused: no legitimate event needs more. */
export const MAX_JSON_DEPTH = 32;

const publishType = z
  .string()
  .regex(EVENT_TYPE_PATTERN, 'type: 1-100 characters of A-Z a-z 0-9 _ . : / -')
  .refine((type) => !isReservedType(type), `type: the prefixes ${RESERVED_TYPE_PREFIXES.map((p) => `"${p}"`).join(', ')} are the service's own`);

/** A body's own statement of its target, checked against the path after the signature (checkTarget). */
const targetId = (name: string) => z.string().max(200, `${name}: at most 200 characters`).optional();

export const publishBody = z
  .object({
    userId: targetId('userId'),
    type: publishType,
    data: z.unknown().optional(),
  })
  .strict();

/** Depth of a parsed JSON value, walked without recursion. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) max = depth;
    if (depth > MAX_JSON_DEPTH) return depth;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

const statusEnum = z.enum(JOB_STATUSES);

export const jobUpdateBody = z
  .object({
    userId: targetId('userId'),
    jobId: targetId('jobId'),
    status: statusEnum,
    progress: z.number().min(0, 'progress: 0..1').max(1, 'progress: 0..1').optional(),
    result: z.unknown().optional(),
    error: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((u) => u.result === undefined || u.status === 'succeeded', {
    message: 'result: only a succeeded job has a result',
    path: ['result'],
  })
  .refine((u) => u.error === undefined || u.status === 'failed' || u.status === 'canceled', {
    message: 'error: only a failed or canceled job has an error',
    path: ['error'],
  });

export const batchBody = z
  .object({
    userIds: z
      .array(z.string().regex(USER_ID_PATTERN, 'userIds: each 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -'))
      .min(1, 'userIds: at least one')
      .max(MAX_BATCH_USERS, `userIds: at most ${MAX_BATCH_USERS}`),
    type: publishType,
    data: z.unknown().optional(),
  })
  .strict();

/** `wait` in seconds, up to three decimals, at most MAX_WAIT_SECONDS. */
const waitParam = z
  .string()
  .regex(/^[0-9]{1,2}(\.[0-9]{1,3})?$/, `wait: seconds, 0..${MAX_WAIT_SECONDS}`)
  .transform(Number)
  .refine((n) => n <= MAX_WAIT_SECONDS, `wait: at most ${MAX_WAIT_SECONDS} seconds`);

const eventIdParam = z
  .string()
  .transform((value, ctx) => {
    const id = parseEventId(value);
    if (id === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an event id (a decimal integer)' });
      return z.NEVER;
    }
    return id;
  });

const limitParam = (max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,4}$/, `limit: 1..${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `limit: 1..${max}`);

export const pollQuery = z.object({
  after: eventIdParam.optional(),
  wait: waitParam.optional(),
  limit: limitParam(POLL_PAGE_SIZE).optional(),
});

export const jobQuery = z.object({
  wait: waitParam.optional(),
  version: z.string().regex(/^(0|[1-9][0-9]{0,14})$/, 'version: a non-negative integer').transform(Number).optional(),
  missing: z.literal('null').optional(),
});

export const jobListQuery = z.object({
  status: statusEnum.optional(),
  limit: limitParam(100).optional(),
});

/** Category and collapse keys: the id charset. */
const keyField = (name: string) => z.string().regex(USER_ID_PATTERN, `${name}: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -`).optional();

/** An absolute https URL or a path on the application's own origin (never javascript:, data: or another scheme). */
const notificationUrl = z
  .string()
  .max(2048, 'url: at most 2,048 characters')
  .refine((url) => {
    if (url.startsWith('/')) return !url.startsWith('//') && !/[\s\\]/.test(url);
    try {
      return new URL(url).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'url: an absolute https URL or a path starting with /');

/** Per-notification Web Push: `false` never; otherwise when to push (after, seconds) and how. */
const pushOptions = z.union([
  z.literal(false),
  z
    .object({
      after: z.number().int('push.after: whole seconds').min(1, 'push.after: 1..604800').max(604_800, 'push.after: 1..604800').optional(),
      ttl: z.number().int('push.ttl: whole seconds').min(1, 'push.ttl: 1..86400').max(86_400, 'push.ttl: 1..86400').optional(),
      urgency: z.enum(['very-low', 'low', 'normal', 'high']).optional(),
    })
    .strict(),
]);

export const notificationBody = z
  .object({
    userId: targetId('userId'),
    type: publishType,
    push: pushOptions.optional(),
    title: z.string().max(200, 'title: at most 200 characters').optional(),
    body: z.string().max(2000, 'body: at most 2,000 characters').optional(),
    url: notificationUrl.optional(),
    data: z.unknown().optional(),
    category: keyField('category'),
    collapseKey: keyField('collapseKey'),
  })
  .strict();

export const inboxQuery = z.object({
  status: z.enum(INBOX_STATUSES).optional(),
  before: eventIdParam.optional(),
  limit: limitParam(MAX_INBOX_IDS).optional(),
});

/** An event id in a JSON body: a decimal string, as ids travel. */
const eventIdField = z.string().transform((value, ctx) => {
  const id = parseEventId(value);
  if (typeof id !== 'number') {
    ctx.addIssue({ code: 'custom', message: 'must be an event id (a decimal string)' });
    return z.NEVER;
  }
  return id;
});

const idList = z.array(eventIdField).min(1, 'ids: at least one').max(MAX_INBOX_IDS, `ids: at most ${MAX_INBOX_IDS}`);

export const throughBody = z.object({ through: eventIdField }).strict();
export const idsBody = z.object({ ids: idList }).strict();
export const readBody = z.union([idsBody, throughBody], { message: 'a body {"ids":[…]} or {"through":"<id>"}' });

/** base64url text of exactly `bytes` bytes (a key in a PushSubscription). */
const base64urlOf = (name: string, bytes: number) =>
  z.string().refine((text) => base64UrlToBytes(text.replace(/={1,2}$/, ''))?.length === bytes, `${name}: ${bytes} bytes, base64url`);

/** What `PushSubscription.toJSON()` gives in a browser. */
export const pushSubscriptionBody = z
  .object({
    endpoint: z
      .string()
      .max(2048, 'endpoint: at most 2,048 characters')
      .refine((url) => URL.canParse(url) && new URL(url).protocol === 'https:', 'endpoint: an https URL'),
    expirationTime: z.number().nullable().optional(),
    keys: z.object({ p256dh: base64urlOf('keys.p256dh', 65), auth: base64urlOf('keys.auth', 16) }).strict(),
  })
  .strict();

export const pushEndpointBody = z.object({ endpoint: z.string().max(2048, 'endpoint: at most 2,048 characters') }).strict();
