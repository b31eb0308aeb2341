// The one JSON encoder of the server. Every JSON text the service writes (a
// frame, an SSE event's data, a poll answer, a response body, a receipt) is
// made here from values. Text that is already JSON is kept as `JsonText`, a
// branded string only this module makes, so an event's data is serialized
// once and embedded as it is wherever it goes, never sliced or parsed again.

declare const JSON_TEXT: unique symbol;

/** JSON text made by encode() (or by encodeParsed() for a value read from a request body). */
export type JsonText = string & { readonly [JSON_TEXT]: true };

/** A part of a value that is JSON text already: encode() writes it as it is. */
export class RawJson {
  readonly text: JsonText;
  constructor(text: JsonText) {
    this.text = text;
  }
}

/** Embeds JSON text in a value for encode(); null stays null. */
export const raw = (text: JsonText | null): RawJson | null => (text === null ? null : new RawJson(text));

/** A value encode() writes: JSON's own values, RawJson parts, arrays and plain objects of them; fields that are undefined are left out. */
export type Encodable = null | boolean | number | string | RawJson | undefined | readonly Encodable[] | object;

/**
 * JSON.stringify escapes CR and LF inside strings but leaves U+2028 and U+2029
 * raw. Neither ends an SSE line, but some JavaScript-era parsers and proxies
 * treat them as line breaks; escaping them keeps every text one line anywhere.
 */
export function oneLineJson(text: string): string {
  return text.replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

const stringify = (value: unknown): JsonText => oneLineJson(JSON.stringify(value) ?? 'null') as JsonText;

/** One-line JSON text of `value`, with its RawJson parts as they are; object fields that are undefined are left out. */
export function encode(value: Encodable): JsonText {
  if (value instanceof RawJson) return value.text;
  if (value === null || typeof value !== 'object') return stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: Encodable) => (item === undefined ? 'null' : encode(item))).join(',')}]` as JsonText;
  let text = '';
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, Encodable>)[key];
    if (field === undefined) continue;
    text += `${text ? ',' : ''}${JSON.stringify(key)}:${encode(field)}`;
  }
  return `{${text}}` as JsonText;
}

/** JSON text of a value parsed from JSON (a request body's field), which holds no RawJson: the runtime's serializer, in one pass. */
export const encodeParsed = (value: unknown): JsonText => stringify(value ?? null);

/** Reads JSON text back: only where it crossed a process or a socket (the Worker's bridges, the store). */
export const decode = <T>(text: JsonText | string): T => JSON.parse(text) as T;
