// Every transport: how the actor frames a message for it, its routes and
// their description. Adding a transport is one file here (its sink, frame,
// route and paths), its entries below, and its name in TRANSPORTS
// (actor/ports.ts); docs/development.md, Adding a transport.

import { Hono } from 'hono';
import type { Outgoing } from '../actor/frames.ts';
import type { Transport } from '../actor/ports.ts';
import type { HubEnv } from '../context.ts';
import type { JsonSchema } from '../openapi-schemas.ts';
import * as poll from './poll.ts';
import * as sse from './sse.ts';
import * as websocket from './websocket.ts';

/** What the actor writes for one message on each transport, in its own process (a Durable Object's socket carries it to the sink). */
export const FRAMES: Record<Transport, (message: Outgoing) => string> = {
  websocket: websocket.frame,
  sse: sse.frame,
  poll: poll.frame,
  job: poll.frame,
};

/** Their descriptions in /openapi.json. */
export const TRANSPORT_PATHS: Record<string, Record<string, JsonSchema>> = { ...websocket.paths, ...sse.paths, ...poll.paths };

export const transportRoutes = new Hono<HubEnv>().route('/', websocket.routes).route('/', sse.routes).route('/', poll.routes);
