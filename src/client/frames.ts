// The frames a client receives, and the control types among them, from the
// wire protocol the server is written against (src/protocol/wire.ts).

import type { CloseCode, Notification } from '../protocol/wire.ts';

export { HUB_READY, HUB_RESET, isStopCode, WS_PROTOCOL, type Frame, type ResetInfo } from '../protocol/wire.ts';

/** An event as the application sees it. */
export type HubEvent<Data = unknown> = Notification<Data>;

/** CloseCode.unauthorized as a literal (type-checked against it), so the bundle carries no close-code table. */
export const CLOSE_UNAUTHORIZED: typeof CloseCode.unauthorized = 4401;
