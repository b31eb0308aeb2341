// Where a stream or poll resumes: Last-Event-ID (an EventSource reconnecting)
// or ?after=, refused when it is not an event id.

import type { HubContext } from '../context.ts';
import { badRequest } from '../errors.ts';
import { parseEventId } from '../../protocol/wire.ts';

export function resumePoint(c: HubContext, lastEventId?: string): number | undefined {
  const raw = lastEventId || c.req.query('after');
  const after = parseEventId(raw);
  if (after === null) throw badRequest('after / Last-Event-ID must be an event id (a decimal integer).');
  return after;
}
