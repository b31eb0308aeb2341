// When a parked long poll has its answer, the same on every host.

import { HUB_READY } from '../protocol/wire.ts';

const READY_PREFIX = `{"type":"${HUB_READY}"`;

/** Notification frames begin with their id; control frames with their type. */
export const isNotificationFrame = (frame: string): boolean => frame.startsWith('{"id":');

/**
 * For event long polls: done once the replay has ended (hub.ready) and at
 * least one notification has arrived.
 */
export function createEventsArrived(): (frames: readonly string[], latest: string) => boolean {
  let ready = false;
  return (frames, latest) => {
    if (latest.startsWith(READY_PREFIX)) ready = true;
    return ready && frames.some(isNotificationFrame);
  };
}

/** Drops the hub.ready frame, which a poll answer does not carry. */
export const withoutReady = (frames: readonly string[]): string[] => frames.filter((f) => !f.startsWith(READY_PREFIX));
