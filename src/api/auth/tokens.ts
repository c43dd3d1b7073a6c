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

/** Who the token was issued to, or undefined for any invalid, expired, never-expiring or forged token. */
export function verifyToken(config: TokenConfig, token: string): TokenClaims | undefined {
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
    return { userId: id, credentialVersion: version as number };
  } catch {
    return undefined;
  }
}
