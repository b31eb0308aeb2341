// Client credentials that must never authenticate anyone: every way a JWT can
// be expired, unsigned, signed with the wrong algorithm or key, mis-shaped or
// tampered with, wrong Authorization schemes, and forged connection tickets.
// Each is built here from the test secret, so only the flaw named differs
// from a token the service would accept.

import { bytesToBase64Url, utf8 } from '../../src/shared/base64.ts';
import { issueTicket } from '../../src/core/auth/tickets.ts';
import { TEST_VARS } from '../helpers/test-vars.ts';

export interface ForgedCredential {
  name: string;
  /** The whole `Authorization` header value. */
  authorization: string;
  /** The bare token, when one can ride in the `userhub.token.` subprotocol. */
  protocolToken?: string;
}

export interface ForgedTicket {
  name: string;
  ticket: string;
}

const part = (value: unknown): string => bytesToBase64Url(utf8.encode(JSON.stringify(value)));

async function hmac(hash: 'SHA-256' | 'SHA-384' | 'SHA-512', secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash }, false, ['sign']);
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(data))));
}

/** `header.payload.signature`, the signature HMAC-SHA256 with `secret` unless told otherwise. */
async function jwt(
  header: unknown,
  payload: unknown,
  sign: (input: string) => Promise<string> = (input) => hmac('SHA-256', TEST_VARS.JWT_SECRET, input),
): Promise<string> {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${await sign(input)}`;
}

async function asymmetricSigner(kind: 'RS256' | 'ES256') {
  const algorithm =
    kind === 'RS256'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const params = kind === 'RS256' ? { name: 'RSASSA-PKCS1-v1_5' } : { name: 'ECDSA', hash: 'SHA-256' };
  return {
    jwk: await crypto.subtle.exportKey('jwk', pair.publicKey),
    sign: async (input: string) =>
      bytesToBase64Url(new Uint8Array(await crypto.subtle.sign(params, pair.privateKey, utf8.encode(input)))),
  };
}

/** A character of `text` at `index` replaced by another base64url character. */
const flipAt = (text: string, index: number): string =>
  text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);

/** Subprotocol values must be HTTP tokens; anything else cannot be offered at all. */
const isHttpToken = (value: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value);

/**
 * Forged credentials naming `victim` (a user with events), built by `attacker`
 * (a user holding a genuine token of their own).
 */
export async function forgedCredentials(victim: string, attacker: string): Promise<ForgedCredential[]> {
  const now = Math.floor(Date.now() / 1000);
  const hs = { alg: 'HS256', typ: 'JWT' };
  const claims = { sub: victim, iat: now, exp: now + 600 };
  const valid = await jwt(hs, claims);
  const attackerToken = await jwt(hs, { sub: attacker, iat: now, exp: now + 600 });
  const [validHeader, , validSignature] = valid.split('.') as [string, string, string];
  const attackerSignature = attackerToken.split('.')[2]!;
  const rs = await asymmetricSigner('RS256');
  const es = await asymmetricSigner('ES256');
  const withSecret = (hash: 'SHA-256' | 'SHA-384' | 'SHA-512', secret: string = TEST_VARS.JWT_SECRET) => (input: string) =>
    hmac(hash, secret, input);

  const tokens: Array<[string, string | Promise<string>]> = [
    ['expired', jwt(hs, { sub: victim, iat: now - 700, exp: now - 100 })],
    ['expired at the epoch', jwt(hs, { sub: victim, exp: 1 })],
    ['not valid yet (nbf in the future)', jwt(hs, { ...claims, nbf: now + 3600, exp: now + 7200 })],
    ['issued in the future', jwt(hs, { sub: victim, iat: now + 3600, exp: now + 7200 })],
    ['no exp', jwt(hs, { sub: victim, iat: now })],
    ['exp as a string', jwt(hs, { sub: victim, exp: String(now + 600) })],
    ['exp null', jwt(hs, { sub: victim, exp: null })],
    ['alg none, unsigned', Promise.resolve(`${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`)],
    ['alg none, with an HMAC signature', jwt({ alg: 'none', typ: 'JWT' }, claims)],
    ['alg None', Promise.resolve(`${part({ alg: 'None' })}.${part(claims)}.`)],
    ['alg NONE', Promise.resolve(`${part({ alg: 'NONE' })}.${part(claims)}.`)],
    ['no alg', jwt({ typ: 'JWT' }, claims)],
    ['alg RS256, signed with HMAC over the secret', jwt({ alg: 'RS256', typ: 'JWT' }, claims)],
    ['alg ES256, signed with HMAC over the secret', jwt({ alg: 'ES256', typ: 'JWT' }, claims)],
    ['alg PS256, signed with HMAC over the secret', jwt({ alg: 'PS256', typ: 'JWT' }, claims)],
    ['HS384 with the secret', jwt({ alg: 'HS384', typ: 'JWT' }, claims, withSecret('SHA-384'))],
    ['HS512 with the secret', jwt({ alg: 'HS512', typ: 'JWT' }, claims, withSecret('SHA-512'))],
    ['RS256 with a generated key', jwt({ alg: 'RS256', typ: 'JWT' }, claims, rs.sign)],
    ['RS256 with the key embedded as jwk', jwt({ alg: 'RS256', typ: 'JWT', jwk: rs.jwk }, claims, rs.sign)],
    ['ES256 with a generated key', jwt({ alg: 'ES256', typ: 'JWT' }, claims, es.sign)],
    ['HS256 with a wrong secret', jwt(hs, claims, withSecret('SHA-256', 'not-the-jwt-secret-0123456789abcdef'))],
    ['HS256 with the secret minus a character', jwt(hs, claims, withSecret('SHA-256', TEST_VARS.JWT_SECRET.slice(0, -1)))],
    ['HS256 with the webhook secret', jwt(hs, claims, withSecret('SHA-256', TEST_VARS.WEBHOOK_SECRET))],
    ['crit header', jwt({ ...hs, crit: ['exp'] }, claims)],
    ['no sub', jwt(hs, { iat: now, exp: now + 600 })],
    ['sub a number', jwt(hs, { sub: 42, exp: now + 600 })],
    ['sub with a space', jwt(hs, { sub: 'a b', exp: now + 600 })],
    ['sub of 300 characters', jwt(hs, { sub: 'u'.repeat(300), exp: now + 600 })],
    ['sub of 129 characters', jwt(hs, { sub: 'u'.repeat(129), exp: now + 600 })],
    ['sub empty', jwt(hs, { sub: '', exp: now + 600 })],
    ['sub null', jwt(hs, { sub: null, exp: now + 600 })],
    ['sub an array', jwt(hs, { sub: [victim], exp: now + 600 })],
    ['sub an object', jwt(hs, { sub: { id: victim }, exp: now + 600 })],
    ['sub starting with punctuation', jwt(hs, { sub: `.${victim}`, exp: now + 600 })],
    ['sub with a trailing newline', jwt(hs, { sub: `${victim}\n`, exp: now + 600 })],
    ['sub with a NUL', jwt(hs, { sub: `${victim}\u0000`, exp: now + 600 })],
    ['sub not ASCII', jwt(hs, { sub: 'jöhn', exp: now + 600 })],
    ['payload not JSON', (async () => {
      const input = `${validHeader}.${bytesToBase64Url(utf8.encode('not json'))}`;
      return `${input}.${await hmac('SHA-256', TEST_VARS.JWT_SECRET, input)}`;
    })()],
    ['payload null', jwt(hs, null)],
    ['payload an array', jwt(hs, [claims])],
    ['payload switched to the victim, attacker signature kept', Promise.resolve(`${validHeader}.${part(claims)}.${attackerSignature}`)],
    ['expired token with exp extended, signature kept', (async () => {
      const old = await jwt(hs, { sub: victim, iat: now - 700, exp: now - 100 });
      return `${validHeader}.${part({ sub: victim, iat: now - 700, exp: now + 600 })}.${old.split('.')[2]}`;
    })()],
    ['truncated signature', Promise.resolve(valid.slice(0, -5))],
    ['signature with one character changed', Promise.resolve(flipAt(valid, valid.length - 20))],
    ['signature stripped', Promise.resolve(`${valid.slice(0, valid.lastIndexOf('.'))}.`)],
    ['two segments', Promise.resolve(valid.slice(0, valid.lastIndexOf('.')))],
    ['four segments', Promise.resolve(`${valid}.${validSignature}`)],
    ['signed, but longer than any token the service reads', jwt(hs, { ...claims, pad: 'x'.repeat(5000) })],
    ['garbage', Promise.resolve('garbage')],
    ['three dots of garbage', Promise.resolve('a.b.c')],
    ['empty segments', Promise.resolve('..')],
    ['JSON-looking prefixes', Promise.resolve('eyJ.eyJ.eyJ')],
    ['random base64url', Promise.resolve(bytesToBase64Url(crypto.getRandomValues(new Uint8Array(150))))],
  ];

  const credentials: ForgedCredential[] = [];
  for (const [name, pending] of tokens) {
    const token = await pending;
    credentials.push({
      name,
      authorization: `Bearer ${token}`,
      protocolToken: isHttpToken(token) ? token : undefined,
    });
  }
  // A genuine token in the wrong scheme or shape of header.
  credentials.push(
    { name: 'Basic scheme around a genuine token', authorization: `Basic ${valid}` },
    { name: 'Token scheme around a genuine token', authorization: `Token ${valid}` },
    { name: 'Bearer with no token', authorization: 'Bearer' },
    { name: 'Bearer with two spaces', authorization: `Bearer  ${valid}` },
    { name: 'Bearer with a second word', authorization: `Bearer ${valid} ${valid}` },
    { name: 'Bearer with a comma list', authorization: `Bearer ${valid}, Bearer ${attackerToken}` },
  );
  return credentials;
}

/** Tickets that must not open a stream for `victim`. */
export async function forgedTickets(victim: string, attacker: string): Promise<ForgedTicket[]> {
  const now = Math.floor(Date.now() / 1000);
  const secret = TEST_VARS.JWT_SECRET;
  const session = (userId: string) => ({ userId, expiresAt: now + 600, issuedAt: now });
  const expired = await issueTicket(secret, session(victim), -10, now);
  const wrongSecret = await issueTicket('not-the-jwt-secret-0123456789abcdef', session(victim), 30, now);
  const victims = await issueTicket(secret, session(victim), 30, now);
  const attackers = await issueTicket(secret, session(attacker), 30, now);
  const [victimBody] = victims.ticket.split('.') as [string];
  const [, attackerMac] = attackers.ticket.split('.') as [string, string];
  const token = await jwt({ alg: 'HS256', typ: 'JWT' }, { sub: victim, exp: now + 600 });
  return [
    { name: 'expired ticket', ticket: expired.ticket },
    { name: 'ticket signed with another secret', ticket: wrongSecret.ticket },
    { name: "victim's ticket body with the attacker's MAC", ticket: `${victimBody}.${attackerMac}` },
    { name: 'ticket with a truncated MAC', ticket: victims.ticket.slice(0, -4) },
    { name: 'ticket with no MAC', ticket: `${victimBody}.` },
    { name: 'ticket with an extra segment', ticket: `${victims.ticket}.x` },
    { name: 'a JWT passed as a ticket', ticket: token },
    { name: 'garbage ticket', ticket: 'garbage' },
    { name: 'ticket of 600 characters', ticket: `${victimBody}${'A'.repeat(600)}.${attackerMac}` },
  ];
}
