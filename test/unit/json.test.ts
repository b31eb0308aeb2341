// The server's one JSON encoder (src/core/json.ts): the same text as the
// runtime's serializer for any JSON value, JSON text embedded as it is, and
// every text on one line.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, encodeParsed, raw } from '../../src/core/json.ts';

describe('encode', () => {
  it('writes any JSON value as JSON.stringify does (one line), and encodeParsed the same', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
        expect(encode(value)).toBe(expected);
        expect(encodeParsed(value)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('embeds JSON text as it is, at any depth, and leaves undefined fields out', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (inner, other) => {
        const text = encode(inner);
        const outer = encode({ a: raw(text), list: [raw(text), other], skipped: undefined, nothing: raw(null) });
        expect(decode(outer)).toEqual(decode(JSON.stringify({ a: inner, list: [inner, other], nothing: null })));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every text one line: U+2028 and U+2029 are escaped', () => {
    const text = encode({ body: 'a\u2028b\u2029c\nd' });
    expect(text).toBe('{"body":"a\\u2028b\\u2029c\\nd"}');
    expect(decode(text)).toEqual({ body: 'a\u2028b\u2029c\nd' });
  });
});
