// The OpenAPI 3.1 description of the API, built from the same zod schemas that
// validate requests (OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what
// zod emits). Served at /openapi.json, with a reference page at /docs. A test
// checks every route the app serves against this document, so neither drifts.

import { z } from 'zod';
import { MAX_BATCH_USERS, TIMED_OUT_HEADER, USER_ID_PATTERN } from '../protocol/wire.ts';
import {
  batchBody,
  idsBody,
  inboxQuery,
  jobListQuery,
  jobQuery,
  jobUpdateBody,
  notificationBody,
  pollQuery,
  pushEndpointBody,
  pushSubscriptionBody,
  publishBody,
  readBody,
  throughBody,
} from './schemas.ts';
import { CLIENT, errors, json, queryParameters, ref, schemaOf, SCHEMAS, type JsonSchema } from './openapi-schemas.ts';
import { TRANSPORT_PATHS } from './transports/index.ts';

const idParameter = (name: string, description: string): JsonSchema => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: USER_ID_PATTERN.source },
});

const USER_ID = idParameter('userId', 'The user the request is about.');
const JOB_ID = idParameter('jobId', 'A job id, chosen by the publisher.');

/** One client inbox change: its body schema and what it does. */
const inboxChange = (summary: string, body: z.ZodType): Record<string, JsonSchema> => ({
  post: {
    summary,
    security: CLIENT,
    requestBody: { required: true, content: { 'application/json': { schema: schemaOf(body) } } },
    responses: { 200: json(ref('InboxChange'), 'What changed, the ids not in the inbox, and the counts after it.'), ...errors(400, 401, 413, 415, 429) },
  },
});

const ERROR_MEANINGS: Record<number, string> = {
  400: 'A parameter or body of the wrong shape (`invalid_request`, `invalid_json`), or a signed body whose `userId` / `jobId` does not name the target of its path (`target_mismatch`).',
  401: 'Missing or invalid credentials (`unauthorized`).',
  403: 'The `Origin` is not allowed (`forbidden_origin`).',
  404: 'No such job (`job_not_found`) or notification (`not_found`) for this user.',
  409: 'The job already reached a terminal state (`job_final`), or the webhook-id was already used for a different request (`idempotency_key_reused`).',
  413: 'The body is over MAX_EVENT_BYTES (`payload_too_large`).',
  415: 'The body is not `application/json` (`unsupported_media_type`).',
  426: 'Not a WebSocket upgrade (`upgrade_required`).',
  501: 'Web Push is off: the service has no VAPID keys (`push_disabled`).',
  429: 'Too many connections (`connection_limit`), publishes or inbox changes (`rate_limited`, with `Retry-After`) for this user.',
};

const PUBLISHER = [{ webhookSignature: [] }];

/** Every operation, keyed by OpenAPI path, then lower-case method. */
const PATHS: Record<string, Record<string, JsonSchema>> = {
  '/v1/health': {
    get: {
      summary: 'Health check; fails closed with 500 server_misconfigured while a secret is missing.',
      security: [],
      responses: {
        200: json({ type: 'object', properties: { ok: { const: true }, protocol: { type: 'integer', description: 'The protocol version this server speaks.' } } }, 'Up, and configured.'),
      },
    },
  },
  '/v1/tickets': {
    post: {
      summary: 'Trade a Bearer token for a short-lived, single-use connection ticket (for browsers).',
      security: CLIENT,
      responses: {
        201: json(
          {
            type: 'object',
            properties: { ticket: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' }, userId: { type: 'string', description: 'The user the token names.' } },
          },
          'A ticket for ?ticket= on /v1/connect or /v1/events.',
        ),
        ...errors(401),
      },
    },
  },
  ...TRANSPORT_PATHS,
  '/v1/jobs': {
    get: {
      summary: 'The user’s jobs, newest first.',
      security: CLIENT,
      parameters: queryParameters(jobListQuery, { status: 'Only jobs in this state.', limit: 'Most jobs (1..100).' }),
      responses: { 200: json({ type: 'object', properties: { jobs: { type: 'array', items: ref('Job') } } }, 'Jobs.'), ...errors(400, 401) },
    },
  },
  '/v1/jobs/{jobId}': {
    get: {
      summary: 'One job; with wait and version, a long poll released by the job’s next change.',
      security: CLIENT,
      parameters: [
        JOB_ID,
        ...queryParameters(jobQuery, {
          wait: 'Long poll: park up to this many seconds (at most 30).',
          version: 'Answer as soon as the job’s version is above this.',
          missing: 'Without wait: answer 200 `null` for a job that does not exist (yet) instead of 404.',
        }),
      ],
      responses: { 200: json({ oneOf: [ref('Job'), { type: 'null' }] }, 'The job (null: none yet, with missing=null).'), ...errors(400, 401, 404, 429) },
    },
  },
  '/v1/inbox': {
    get: {
      summary: 'A page of the user’s inbox, newest first, with the counts (`all`: everything not archived).',
      security: CLIENT,
      parameters: queryParameters(inboxQuery, {
        status: 'unread, unseen, all (the default) or archived.',
        before: 'Cursor: only items older than this id (the previous page’s `next`).',
        limit: 'Most items (1..100, default 20).',
      }),
      responses: { 200: json(ref('InboxPage'), 'Items and counts.'), ...errors(400, 401) },
    },
  },
  '/v1/inbox/seen': inboxChange('Mark every item up to `through` seen (the bell was opened); emits one inbox.changed.', throughBody),
  '/v1/inbox/read': inboxChange('Mark items read (and seen), by ids or up to `through`; emits one inbox.changed.', readBody),
  '/v1/inbox/unread': inboxChange('Mark items unread again; emits one inbox.changed.', idsBody),
  '/v1/inbox/archive': inboxChange('Archive items (they leave the counts and `all`); emits one inbox.changed.', idsBody),
  '/v1/acks': {
    post: {
      summary: 'For clients without a WebSocket: every event up to `through` has reached this client; sets `receivedAt` on the inbox items it covers.',
      security: CLIENT,
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(throughBody) } } },
      responses: {
        200: json({ type: 'object', properties: { acknowledged: { type: 'integer' } } }, 'Items that got their receivedAt now.'),
        ...errors(400, 401, 413, 415, 429),
      },
    },
  },
  '/v1/push/key': {
    get: {
      summary: 'The service’s VAPID public key, for pushManager.subscribe({ applicationServerKey }). 501 push_disabled without VAPID keys.',
      security: [],
      responses: { 200: json({ type: 'object', properties: { publicKey: { type: 'string' } } }, 'The key (base64url, uncompressed P-256).'), ...errors(501) },
    },
  },
  '/v1/push/subscriptions': {
    post: {
      summary: 'Store this browser’s PushSubscription (its toJSON()) for the user; at most 10, the oldest replaced. The endpoint must be on PUSH_ENDPOINT_HOSTS.',
      security: CLIENT,
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(pushSubscriptionBody) } } },
      responses: { 201: json({ type: 'object', properties: { subscriptions: { type: 'integer' } } }, 'Stored.'), ...errors(400, 401, 415, 501) },
    },
    delete: {
      summary: 'Remove one of the user’s push subscriptions by its endpoint.',
      security: CLIENT,
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(pushEndpointBody) } } },
      responses: { 200: json({ type: 'object', properties: { removed: { type: 'boolean' } } }, 'Whether there was one.'), ...errors(400, 401, 415, 501) },
    },
  },
  '/v1/users/{userId}/notifications': {
    post: {
      summary: 'Store a notification in the user’s inbox and announce it as an inbox.created event (its id is the item’s).',
      security: PUBLISHER,
      parameters: [USER_ID],
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(notificationBody) } } },
      responses: {
        201: json(ref('PublishResult'), 'Stored in the inbox and the log.'),
        200: json(ref('PublishResult'), 'A retried webhook-id: the first answer, with duplicate: true.'),
        ...errors(400, 401, 409, 413, 415, 429),
      },
    },
  },
  '/v1/users/{userId}/notifications/{id}': {
    get: {
      summary: 'One inbox item with its receipt times (deliveredAt, receivedAt, seenAt, readAt, archivedAt).',
      security: PUBLISHER,
      parameters: [USER_ID, { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } }],
      responses: { 200: json(ref('InboxItem'), 'The item.'), ...errors(400, 401, 404) },
    },
  },
  '/v1/users/{userId}/events': {
    post: {
      summary: 'Publish one event to one user: stored durably, then written to that user’s connections only.',
      security: PUBLISHER,
      parameters: [USER_ID],
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(publishBody) } } },
      responses: { 202: json(ref('PublishResult'), 'Stored in the user’s log.'), ...errors(400, 401, 409, 413, 415, 429) },
    },
  },
  '/v1/users/{userId}/jobs/{jobId}': {
    put: {
      summary: 'Create or change a job; each accepted change emits one job.<status> event.',
      security: PUBLISHER,
      parameters: [USER_ID, JOB_ID],
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(jobUpdateBody) } } },
      responses: {
        200: json(ref('JobUpdate'), 'Changed (or unchanged: eventId null).'),
        201: json(ref('JobUpdate'), 'Created.'),
        ...errors(400, 401, 409, 413, 415, 429),
      },
    },
  },
  '/v1/users/{userId}/presence': {
    get: {
      summary: 'Whether the user is connected, by transport.',
      security: PUBLISHER,
      parameters: [USER_ID],
      responses: { 200: json(ref('Presence'), 'Presence.'), ...errors(400, 401) },
    },
  },
  '/v1/users/{userId}/stats': {
    get: {
      summary: 'Connections, last event id, retained events and jobs by status.',
      security: PUBLISHER,
      parameters: [USER_ID],
      responses: { 200: json(ref('Stats'), 'Stats.'), ...errors(400, 401) },
    },
  },
  '/v1/users/{userId}/connections': {
    delete: {
      summary: 'Close every connection of the user with 4503; with revoke=true also refuse every credential issued before now.',
      security: PUBLISHER,
      parameters: [
        USER_ID,
        { name: 'revoke', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } },
      ],
      responses: {
        200: json({ type: 'object', properties: { closed: { type: 'integer' }, duplicate: { type: 'boolean' } } }, 'Connections closed.'),
        ...errors(400, 401, 409),
      },
    },
  },
  '/v1/users/{userId}': {
    delete: {
      summary: 'Erase the user: close every connection with 4503, delete events, jobs, the inbox, dedupe keys and tickets, revoke earlier credentials.',
      security: PUBLISHER,
      parameters: [USER_ID],
      responses: {
        200: json(
          {
            type: 'object',
            properties: {
              closed: { type: 'integer' },
              events: { type: 'integer' },
              jobs: { type: 'integer' },
              notifications: { type: 'integer' },
              duplicate: { type: 'boolean' },
            },
          },
          'What was removed.',
        ),
        ...errors(400, 401, 409),
      },
    },
  },
  '/v1/events:batch': {
    post: {
      summary: `Publish one event to up to ${MAX_BATCH_USERS} named users, each through its own actor.`,
      security: PUBLISHER,
      requestBody: { required: true, content: { 'application/json': { schema: schemaOf(batchBody) } } },
      responses: {
        202: json(
          { type: 'object', properties: { results: { type: 'array', items: { oneOf: [ref('PublishResult'), ref('BatchError')] } } } },
          'One result per user, in order.',
        ),
        ...errors(400, 401, 413, 415),
      },
    },
  },
};

let document: JsonSchema | undefined;

/** The OpenAPI document, built once. */
export function openApiDocument(): JsonSchema {
  return (document ??= {
    openapi: '3.1.0',
    info: {
      title: 'userhub',
      version: '1',
      description:
        'Per-user notification actors: signed webhooks in; WebSocket, SSE and polling out; resumable without loss. ' +
        'Client routes take a Bearer JWT (or a ticket on streams); publisher routes are signed per Standard Webhooks. ' +
        'Clients send the protocol version they speak as `Hub-Protocol: 1`; a version the server does not speak is 400 unsupported_protocol.',
    },
    paths: PATHS,
    components: {
      schemas: SCHEMAS,
      responses: Object.fromEntries(
        Object.entries(ERROR_MEANINGS).map(([status, description]) => [`Error${status}`, json(ref('Error'), description)]),
      ),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        ticket: { type: 'apiKey', in: 'query', name: 'ticket', description: 'A ticket from POST /v1/tickets.' },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature` (v1,<base64 HMAC-SHA256 of id.timestamp.body>) with WEBHOOK_SECRET. The signed content names its target: a body carries `userId` (and `jobId`) equal to the path; a request without a body signs `METHOD path?query` exactly as in the request line, e.g. `GET /v1/users/john/presence`.',
        },
      },
    },
  });
}

/**
 * Every path the document describes, in Hono's path syntax, with its methods:
 * the app answers 405 for any other method there, and CORS allows these.
 */
export const documentedRoutes = (): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries(PATHS).map(([path, operations]) => [path.replace(/\{(\w+)\}/g, ':$1'), Object.keys(operations).map((m) => m.toUpperCase())]),
  );

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A readable, self-contained reference page rendered from the document. */
export function referencePage(): string {
  const sections = Object.entries(PATHS).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const parameters = (op.parameters as JsonSchema[] | undefined) ?? [];
      const body = (op.requestBody as { content: { 'application/json': { schema: unknown } } } | undefined)?.content['application/json'].schema;
      const responses = Object.keys(op.responses as object).join(', ');
      return `<section><h2><code>${method.toUpperCase()} ${escape(path)}</code></h2><p>${escape(String(op.summary))}</p>
${parameters.length ? `<h3>Parameters</h3><ul>${parameters.map((p) => `<li><code>${escape(String(p.name))}</code> (${p.in}) ${escape(String(p.description ?? ''))}</li>`).join('')}</ul>` : ''}
${body ? `<h3>Body</h3><pre>${escape(JSON.stringify(body, null, 2))}</pre>` : ''}<p>Responses: ${responses}</p></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>userhub API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}h2{font-size:1.1rem;margin-top:2rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}</style>
</head><body><h1>userhub API v1</h1><p>The machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${sections.join('\n')}</body></html>`;
}
