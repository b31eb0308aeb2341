// npm run token -- <userId> [ttlSeconds]: prints a development client token
// signed with the development JWT_SECRET.

import { signClientToken } from '../src/core/auth/client-token.ts';
import { isUserId } from '../src/core/protocol.ts';
import { readDevVars } from './dev-vars.ts';

const [userId, ttl = '3600'] = process.argv.slice(2);
if (!userId || !isUserId(userId) || !/^[0-9]+$/.test(ttl)) {
  console.error('usage: npm run token -- <userId> [ttlSeconds]');
  process.exit(2);
}
const secret = process.env.JWT_SECRET ?? readDevVars().JWT_SECRET;
if (!secret) {
  console.error('JWT_SECRET is not set (in the environment, .dev.vars or .dev.vars.example)');
  process.exit(1);
}
console.log(await signClientToken(secret, userId, Number(ttl)));
