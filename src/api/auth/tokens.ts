// JWT access tokens: HS256 only (algorithms pinned, so `alg: none` and key-confusion tokens are refused), issuer and
// audience checked, an expiry required, no clock tolerance. The subject claim is the user id and `ver` the user's
// credential version when the token was issued: the auth middleware compares it with the user's row, so a password
// change or a deleted account ends the token at once.
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../../config.ts';

export type TokenConfig = Pick<Config, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_EXPIRES_IN'>;

// jsonwebtoken turns a string secret into a key object on every call (a measurable share of each request's CPU);
// the key object is built once per secret instead.
const keys = new Map<string, KeyObject>();
const keyOf = (secret: string): KeyObject => {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
};

export type TokenSubject = { id: number; email: string; credentialVersion: number };
export type TokenClaims = { userId: number; credentialVersion: number };

export function issueToken(config: TokenConfig, user: TokenSubject): string {
  return jwt.sign({ email: user.email, ver: user.credentialVersion }, keyOf(config.JWT_SECRET), {
    algorithm: 'HS256',
    subject: String(user.id),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    expiresIn: Math.max(1, Math.floor(config.JWT_EXPIRES_IN / 1000)),
  });
}

// Verifying a token (base64, JSON, HMAC, claim checks) was the largest share of an authenticated read's CPU after the
// HTTP layer, and a client sends the same token with every request. So each process remembers the tokens it verified:
// a hit needs the same string, the same secret, issuer and audience it was verified with, and its expiry still ahead,
// so it answers exactly what a fresh verification would. Refused tokens are never remembered. Whether the user still
// holds that credential version is checked on every request all the same (auth.middleware.ts).
type Verified = { claims: TokenClaims; expiresAtMs: number; config: TokenConfig };
const verified = new Map<string, Verified>();
/** Upper bound on remembered tokens; the oldest go first. */
export const MAX_REMEMBERED_TOKENS = 10_000;

const sameSettings = (a: TokenConfig, b: TokenConfig) =>
  a === b || (a.JWT_SECRET === b.JWT_SECRET && a.JWT_ISSUER === b.JWT_ISSUER && a.JWT_AUDIENCE === b.JWT_AUDIENCE);

/** Who the token was issued to, or undefined for any invalid, expired, never-expiring or forged token. */
export function verifyToken(config: TokenConfig, token: string): TokenClaims | undefined {
  const known = verified.get(token);
  if (known && sameSettings(known.config, config)) {
    if (Date.now() < known.expiresAtMs) return known.claims;
    verified.delete(token);
    return undefined;
  }
  const fresh = verifyAnew(config, token);
  if (fresh) {
    if (verified.size >= MAX_REMEMBERED_TOKENS) verified.delete(verified.keys().next().value!);
    verified.set(token, { ...fresh, config });
  }
  return fresh?.claims;
}

function verifyAnew(config: TokenConfig, token: string): Omit<Verified, 'config'> | undefined {
  try {
    const claims = jwt.verify(token, keyOf(config.JWT_SECRET), {
      algorithms: ['HS256'],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      clockTolerance: 0,
    });
    if (typeof claims !== 'object' || typeof claims.exp !== 'number') return undefined;
    const sub = claims.sub;
    const id = sub !== undefined && /^\d{1,10}$/.test(sub) ? Number(sub) : NaN;
    const version: unknown = claims.ver;
    if (!Number.isSafeInteger(id) || id <= 0 || !Number.isSafeInteger(version)) return undefined;
    // jsonwebtoken refuses a token once now (in whole seconds) reaches exp: the same instant in milliseconds.
    return { claims: { userId: id, credentialVersion: version as number }, expiresAtMs: claims.exp * 1000 };
  } catch {
    return undefined;
  }
}
