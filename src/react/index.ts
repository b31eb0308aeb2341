// React bindings for the client: `import { HubProvider, useJob } from 'userhub/react'`.
// One client per <HubProvider>, opened when it mounts and closed when it
// unmounts; the hooks subscribe to it and unsubscribe on unmount. Every data
// hook returns { data, loading, error }. React is a peer dependency; the
// client is the package's own `userhub/client`.

export { HubProvider, useHub, type HubProviderProps } from './provider.ts';
export { useHubStatus, type HubStatus } from './status.ts';
export { useHubEvents } from './events.ts';
export { useJob } from './job.ts';
export { useInbox } from './inbox.ts';
export { useInboxItems, type InboxItems, type InboxItemsOptions } from './inbox-items.ts';
export type { HubData } from './data.ts';
export type { InboxFilter } from '../inbox-ui/inbox-list.ts';
export { NotificationBell, type NotificationBellProps } from './notification-bell.ts';
export { NotificationFeed, type NotificationFeedProps } from './notification-feed.ts';
