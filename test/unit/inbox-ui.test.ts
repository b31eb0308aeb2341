// What the React bell and the custom element share, without a browser: an
// item's relative time, and which items the live region announces.

import { describe, expect, it } from 'vitest';
import { arrivals, bellLabel, newItemsMessage } from '../../src/inbox-ui/popover.ts';
import { relativeTime } from '../../src/inbox-ui/relative-time.ts';

const NOW = Date.parse('2026-12-08T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

describe('the inbox UI, shared parts', () => {
  it('says how long ago an item came, in the largest unit that fits', () => {
    expect(relativeTime(ago(10), NOW, 'en')).toBe('now');
    expect(relativeTime(ago(5 * 60), NOW, 'en')).toBe('5 minutes ago');
    expect(relativeTime(ago(3 * 3600), NOW, 'en')).toBe('3 hours ago');
    expect(relativeTime(ago(26 * 3600), NOW, 'en')).toBe('yesterday');
    expect(relativeTime(ago(3 * 7 * 86400), NOW, 'en')).toBe('3 weeks ago');
    expect(relativeTime(ago(400 * 86400), NOW, 'en')).toBe('last year');
  });

  it('announces the items that arrive after the first page, never the first page itself', () => {
    const first = arrivals([{ id: '5' }, { id: '3' }], undefined);
    expect(first).toEqual({ arrived: [], newest: '5' });
    expect(arrivals([{ id: '7' }, { id: '6' }, { id: '5' }], first.newest)).toEqual({ arrived: [{ id: '7' }, { id: '6' }], newest: '7' });
    // An empty inbox's first item is news; an archived top item is not.
    expect(arrivals([{ id: '2' }], arrivals([], undefined).newest).arrived).toEqual([{ id: '2' }]);
    expect(arrivals([{ id: '3' }], '5')).toEqual({ arrived: [], newest: '5' });
    expect(newItemsMessage(['Ada replied'])).toBe('New notification: Ada replied');
    expect(newItemsMessage(['a', 'b'])).toBe('2 new notifications');
    expect(bellLabel(0)).toBe('Notifications');
    expect(bellLabel(3)).toBe('Notifications, 3 unread');
  });
});
