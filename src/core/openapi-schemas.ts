// The response bodies' schemas for the OpenAPI description (openapi.ts): what
// the service answers, written out once; the request schemas come from zod.

import { ERRORS } from '../protocol/errors.ts';
import { JOB_STATUSES } from '../protocol/wire.ts';

export type JsonSchema = Record<string, unknown>;

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
