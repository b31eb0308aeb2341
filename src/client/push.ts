// Web Push from the client: subscribe this browser (its service worker's
// registration) with the service's public key, and tell the user's actor, so
// a notification reaches it while no tab is connected.

import { callApi, type ApiContext } from './api.ts';

/** What the client needs of a browser's PushSubscription. */
export interface BrowserPushSubscription {
  endpoint: string;
  toJSON(): unknown;
  unsubscribe(): Promise<boolean>;
}

/** What the client needs of a ServiceWorkerRegistration. */
export interface PushRegistration {
  pushManager: {
    getSubscription(): Promise<BrowserPushSubscription | null>;
    subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }): Promise<BrowserPushSubscription>;
  };
}

export interface PushApi {
  /** Asks the browser for a push subscription (the user must allow notifications) and registers it with the service. */
  subscribe(registration: PushRegistration): Promise<BrowserPushSubscription>;
  /** Removes this browser's subscription from the service and the browser; false when there was none. */
  unsubscribe(registration: PushRegistration): Promise<boolean>;
}

const keyBytes = (base64url: string) => Uint8Array.from(atob(base64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

export function createPushApi(context: ApiContext): PushApi {
  return {
    async subscribe(registration) {
      const { publicKey } = await callApi<{ publicKey: string }>(context, 'v1/push/key');
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }));
      await callApi(context, 'v1/push/subscriptions', { method: 'POST', body: subscription.toJSON() });
      return subscription;
    },
    async unsubscribe(registration) {
      const subscription = await registration.pushManager.getSubscription();
      if (!subscription) return false;
      await callApi(context, 'v1/push/subscriptions', { method: 'DELETE', body: { endpoint: subscription.endpoint } });
      return subscription.unsubscribe();
    },
  };
}
