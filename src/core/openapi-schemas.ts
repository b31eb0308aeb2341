// The response bodies' schemas for the OpenAPI description (openapi.ts): what
// the service answers, written out once; the request schemas come from zod.
// And the parts a path's description is made of (transports describe their own).

import { z } from 'zod';
import { ERRORS } from '../protocol/errors.ts';
import { JOB_STATUSES } from '../protocol/wire.ts';

export type JsonSchema = Record<string, unknown>;

/** The parts every path's description is made of. */
/** Request schemas as clients send them (before transforms), refinements left to the server. */
export const schemaOf = (schema: z.ZodType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** A query schema's properties as OpenAPI query parameters. */
export function queryParameters(schema: z.ZodType, descriptions: Record<string, string>): JsonSchema[] {
  const { properties = {} } = schemaOf(schema) as { properties?: Record<string, JsonSchema> };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    description: descriptions[name],
    schema: property,
  }));
}

export const json = (schema: JsonSchema, description: string) => ({ description, content: { 'application/json': { schema } } });
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));

export const POLL_DESCRIPTIONS = {
  after: 'Resume point: the last event id received. Absent: start from now.',
  wait: 'Long poll: park up to this many seconds (at most 30) for the next event.',
  limit: 'Most events in one answer (1..100).',
};

export const CLIENT = [{ bearer: [] }];
export const STREAM = [{ bearer: [] }, { ticket: [] }];
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const connections = {
  type: 'object',
  properties: { websocket: { type: 'integer' }, sse: { type: 'integer' }, poll: { type: 'integer' } },
};

const time = { type: ['string', 'null'], format: 'date-time' };
const text = { type: ['string', 'null'] };
const counts = {
  type: 'object',
  properties: { unread: { type: 'integer' }, unseen: { type: 'integer' }, total: { type: 'integer' } },
};

export const SCHEMAS: Record<string, JsonSchema> = {
  InboxItem: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      type: { type: 'string' },
      title: text,
      body: text,
      url: text,
      data: {},
      category: text,
      collapseKey: text,
      createdAt: { type: 'string', format: 'date-time' },
      deliveredAt: { ...time, description: 'First written to a live connection.' },
      receivedAt: { ...time, description: 'First acknowledged by a client (ack).' },
      pushedAt: { ...time, description: 'First accepted by a push service (Web Push).' },
      seenAt: time,
      readAt: time,
      archivedAt: time,
    },
  },
  InboxCounts: counts,
  InboxPage: {
    type: 'object',
    properties: { items: { type: 'array', items: ref('InboxItem') }, counts, next: text },
  },
  InboxChange: {
    type: 'object',
    properties: { changed: { type: 'array', items: { type: 'string' } }, unknown: { type: 'array', items: { type: 'string' } }, counts },
  },
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string', enum: Object.keys(ERRORS) }, message: { type: 'string' } },
      },
    },
  },
  Event: {
    type: 'object',
    required: ['id', 'type', 'data', 'time'],
    properties: { id: { type: 'string' }, type: { type: 'string' }, data: {}, time: { type: 'string', format: 'date-time' } },
  },
  PollAnswer: {
    type: 'object',
    properties: { events: { type: 'array', items: ref('Event') }, lastId: { type: 'string' }, more: { type: 'boolean' } },
  },
  PublishResult: {
    type: 'object',
    properties: { userId: { type: 'string' }, id: { type: 'string' }, delivered: { type: 'integer' }, duplicate: { const: true } },
  },
  BatchError: { type: 'object', properties: { userId: { type: 'string' }, error: ref('Error') } },
  Job: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      status: { enum: [...JOB_STATUSES] },
      progress: { type: ['number', 'null'] },
      result: {},
      error: {},
      version: { type: 'integer' },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  JobUpdate: {
    type: 'object',
    properties: { job: ref('Job'), eventId: { type: ['string', 'null'] }, delivered: { type: 'integer' }, duplicate: { const: true } },
  },
  Presence: { type: 'object', properties: { online: { type: 'boolean' }, connections } },
  Stats: {
    type: 'object',
    properties: {
      online: { type: 'boolean' },
      connections,
      lastEventId: { type: 'string' },
      retainedEvents: { type: 'integer' },
      oldestRetainedId: { type: ['string', 'null'] },
      jobs: { type: 'object', properties: Object.fromEntries(JOB_STATUSES.map((s) => [s, { type: 'integer' }])) },
      inbox: counts,
    },
  },
};
