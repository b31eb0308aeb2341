// The frames a client receives, and the control types among them, from the
// wire protocol the server is written against (src/protocol/wire.ts).

import type { CloseCode, Notification } from '../protocol/wire.ts';

export {
  HUB_CLOSED,
  HUB_EXPIRING,
  HUB_READY,
  HUB_RESET,
  isStopCode,
  WS_PROTOCOL,
  type ClosedInfo,
  type Frame,
  type ResetInfo,
} from '../protocol/wire.ts';

/** An event as the application sees it. */
export type HubEvent<Data = unknown> = Notification<Data>;

/** Close codes as literals (type-checked against CloseCode), so the bundle carries no close-code table. */
export const CLOSE_UNAUTHORIZED: typeof CloseCode.unauthorized = 4401;
export const CLOSE_RESUME_NOW: typeof CloseCode.resumeNow = 4009;
export const CLOSE_ENDED: typeof CloseCode.ended = 4503;
