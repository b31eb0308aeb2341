// Request schemas, validated at the edge before anything reaches an actor.

import { z } from 'zod';
import { CONTROL_PREFIX, EVENT_TYPE_PATTERN } from './protocol.ts';

/** JSON nested deeper than this is refused: no legitimate event needs more. */
export const MAX_JSON_DEPTH = 32;

export const publishBody = z
  .object({
    type: z
      .string()
      .regex(EVENT_TYPE_PATTERN, 'type: 1-100 characters of A-Z a-z 0-9 _ . : / -')
      .refine((type) => !type.startsWith(CONTROL_PREFIX), `type: the prefix "${CONTROL_PREFIX}" is reserved`),
    data: z.unknown().optional(),
  })
  .strict();

export type PublishBody = z.infer<typeof publishBody>;

/** Depth of a parsed JSON value, walked without recursion. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) max = depth;
    if (depth > MAX_JSON_DEPTH) return depth;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}
