// Hono's validator with zod schemas; the first issue becomes a 400 with a
// message naming the field.

import { zValidator } from '@hono/zod-validator';
import type { ZodType } from 'zod';
import { badRequest } from './errors.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './schemas.ts';
import { encodeParsed, type JsonText } from './json.ts';

export const validate = <T extends ZodType, Target extends 'json' | 'query'>(target: Target, schema: T) =>
  zValidator(target, schema, (result) => {
    if (!result.success) {
      const issue = result.error.issues[0];
      throw badRequest(issue ? `${issue.path.join('.') || target}: ${issue.message.replace(/^\w+: /, '')}` : 'Invalid request.');
    }
  });

/** Canonical one-line JSON for a payload; refuses absurd nesting. */
export function canonicalJson(value: unknown, field = 'data'): JsonText {
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw badRequest(`${field}: nested deeper than ${MAX_JSON_DEPTH} levels.`);
  return encodeParsed(value);
}
