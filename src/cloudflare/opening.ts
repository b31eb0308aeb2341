// The Worker's internal upgrade request to a UserHub carries how the
// connection opens (its transport and Hub.open's options) as JSON in one
// header. The object is only reachable through its binding, so clients cannot send it.

import type { OpenOptions } from '../core/actor/hub.ts';
import type { Transport } from '../core/actor/ports.ts';

export const OPEN_HEADER = 'x-hub-open';

export interface Opening extends OpenOptions {
  transport: Transport;
}
