// One connection per browser: the tabs of one origin and one user elect a
// leader with the Web Locks API; the leader holds the only transport and
// hands every frame and status to the other tabs over a BroadcastChannel.
// A leader that closes releases its lock and the next tab takes over at once;
// one that stops beating (a frozen tab keeps its lock) has its lock stolen.
// Each tab keeps its own last id and drops what it has seen, so a new leader
// resumes from there and every tab gets every event once, in order. Every
// message names its user, and a tab drops any other user's, so no bug
// elsewhere can hand one user's events to another through the channel.

import type { Frame } from './frames.ts';

/** A leader beats this often; followers take over after TAKEOVER_MS without a beat. */
const BEAT_MS = 1000;
const TAKEOVER_MS = 3500;

type Message = ({ kind: 'frame'; frame: Frame } | { kind: 'status'; status: unknown } | { kind: 'beat' } | { kind: 'hello' }) & { user: string };

interface LockManager {
  request(name: string, options: { steal?: boolean }, callback: () => Promise<void>): Promise<void>;
}

const browser = globalThis as unknown as { navigator?: { locks?: LockManager }; document?: unknown };

/** True in a browser page that can share: Web Locks and BroadcastChannel (servers and workers connect alone). */
export function canShareTabs(): boolean {
  return browser.document !== undefined && typeof browser.navigator?.locks?.request === 'function' && typeof globalThis.BroadcastChannel === 'function';
}

export interface TabGroupHooks<Status> {
  /** This tab became the leader: open the connection (from this tab's last id). */
  lead(): void;
  /** This tab lost the lead (its lock was stolen while it was frozen): close its connection. */
  follow(): void;
  /** A frame the leader received. */
  frame(frame: Frame): void;
  status(status: Status): void;
  /** The leader's current status, for a tab that just joined. */
  current(): Status;
}

export interface TabGroup {
  readonly leading: boolean;
  /** The leader hands each frame it received to the other tabs. */
  share(frame: Frame): void;
  shareStatus(status: unknown): void;
  /** Leaves the group: a leader's lock goes to the next tab. */
  close(): void;
}

/** Joins the group `name` (one per origin, service and user) as a tab of `user`. */
export function joinTabGroup<Status>(name: string, user: string, hooks: TabGroupHooks<Status>): TabGroup {
  const locks = browser.navigator!.locks!;
  const channel = new BroadcastChannel(name);
  let leading = false;
  let closed = false;
  let release: (() => void) | undefined;
  let lastBeat = Date.now();
  let beat: ReturnType<typeof setInterval> | undefined;
  type Body = Message extends infer M ? (M extends Message ? Omit<M, 'user'> : never) : never;
  const post = (message: Body) => !closed && channel.postMessage({ ...message, user });

  const held = () =>
    new Promise<void>((resolve) => {
      if (closed || leading) return resolve(); // a tab holds one lead at most
      leading = true;
      release = resolve;
      beat = setInterval(() => post({ kind: 'beat' }), BEAT_MS);
      post({ kind: 'beat' });
      hooks.lead();
    });

  const demote = () => {
    if (!leading) return;
    leading = false;
    clearInterval(beat);
    release = undefined;
    hooks.follow();
  };

  const request = (steal: boolean) => {
    locks
      .request(name, steal ? { steal: true } : {}, held)
      // Stolen (this tab was frozen and another took over): follow, and queue for the lead again.
      .catch(() => {
        demote();
        lastBeat = Date.now();
        if (!closed) request(false);
      });
  };

  channel.onmessage = (event: unknown) => {
    const data = (event as { data: Message }).data;
    if (data?.user !== user) return; // another user's tab: never this one's
    if (data.kind === 'beat') lastBeat = Date.now();
    else if (data.kind === 'hello') {
      if (leading) post({ kind: 'status', status: hooks.current() });
    } else if (!leading) {
      if (data.kind === 'frame') hooks.frame(data.frame);
      else hooks.status(data.status as Status);
    }
  };
  const watchdog = setInterval(() => {
    if (!leading && Date.now() - lastBeat > TAKEOVER_MS) {
      lastBeat = Date.now();
      request(true);
    }
  }, BEAT_MS);

  request(false);
  post({ kind: 'hello' });

  return {
    get leading() {
      return leading;
    },
    share: (frame) => leading && post({ kind: 'frame', frame }),
    shareStatus: (status) => leading && post({ kind: 'status', status }),
    close() {
      closed = true;
      clearInterval(watchdog);
      clearInterval(beat);
      leading = false;
      release?.();
      channel.close();
    },
  };
}
