// JWT access tokens: HS256 only (algorithms pinned, so `alg: none` and key-confusion tokens are refused), issuer and
// audience checked, no clock tolerance. The subject claim is the user id.
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

export function issueToken(config: TokenConfig, userId: number, email: string): string {
  return jwt.sign({ email }, keyOf(config.JWT_SECRET), {
    algorithm: 'HS256',
    subject: String(userId),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    expiresIn: Math.max(1, Math.floor(config.JWT_EXPIRES_IN / 1000)),
  });
}

/** The user id the token was issued to, or undefined for any invalid, expired or forged token. */
export function verifyToken(config: TokenConfig, token: string): number | undefined {
  try {
    const claims = jwt.verify(token, keyOf(config.JWT_SECRET), {
      algorithms: ['HS256'],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      clockTolerance: 0,
    });
    const sub = typeof claims === 'object' ? claims.sub : undefined;
    const id = sub !== undefined && /^\d{1,10}$/.test(sub) ? Number(sub) : NaN;
    return Number.isSafeInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}
