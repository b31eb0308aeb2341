// The browser / Node / Bun / Deno client: `import { connect } from 'userhub/client'`.

export { connect } from './client.ts';
export type { ClientError, ClientErrorCode, ConnectOptions, HubClient, Status, TransportName } from './client.ts';
export type { HubEvent, ResetInfo } from './frames.ts';
export type { Job, WaitForJobOptions } from './wait-for-job.ts';
export type { InboxApi, InboxChangeResult, InboxChanged, InboxCounts, InboxCreated, InboxItem, InboxPage, InboxStatus } from './inbox.ts';
export type { BrowserPushSubscription, PushApi, PushRegistration } from './push.ts';
