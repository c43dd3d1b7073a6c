// Token verification with its per-process memory of verified tokens: a remembered token must answer exactly what a
// fresh verification would (expiry, secret, issuer, audience, a tampered copy). The clock is jest's fake Date.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { issueToken, verifyToken, type TokenConfig } from '../../src/api/auth/tokens.ts';

const config: TokenConfig = {
  JWT_SECRET: 'unit-test-secret-0123456789-0123456789',
  JWT_ISSUER: 'order-saga',
  JWT_AUDIENCE: 'order-saga-clients',
  JWT_EXPIRES_IN: 60_000,
};
const subject = { id: 42, email: 'someone@example.com', credentialVersion: 3 };
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A token issued at T0 and verified once (so remembered). */
function rememberedToken(settings: TokenConfig = config): string {
  jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate'] });
  const token = issueToken(settings, subject);
  expect(verifyToken(settings, token)).toEqual({ userId: 42, credentialVersion: 3 });
  return token;
}

describe('verifyToken', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('when a remembered token is presented again before its expiry, then the same claims', () => {
    const token = rememberedToken();
    jest.setSystemTime(T0 + 60_000 - 1);
    expect(verifyToken(config, token)).toEqual({ userId: 42, credentialVersion: 3 });
  });

  it('when a remembered token reaches its expiry, then it is refused, and stays refused', () => {
    const token = rememberedToken();
    jest.setSystemTime(T0 + 60_000);
    expect(verifyToken(config, token)).toBeUndefined();
    expect(verifyToken(config, token)).toBeUndefined();
  });

  it.each([
    ['another secret', { JWT_SECRET: 'another-secret-0123456789-0123456789-xx' }],
    ['another issuer', { JWT_ISSUER: 'someone-else' }],
    ['another audience', { JWT_AUDIENCE: 'other-clients' }],
  ])('when a remembered token is checked against %s, then it is refused', (_case, change) => {
    const token = rememberedToken();
    expect(verifyToken({ ...config, ...change }, token)).toBeUndefined();
  });

  it('when a remembered token is altered in its signature or its payload, then the altered copy is refused', () => {
    const token = rememberedToken();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flip = (s: string) => `${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`; // the first 6 bits of the HMAC
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');

    expect(verifyToken(config, `${header}.${payload}.${flip(signature)}`)).toBeUndefined();
    expect(verifyToken(config, `${header}.${otherPayload}.${signature}`)).toBeUndefined();
    expect(verifyToken(config, token)).toEqual({ userId: 42, credentialVersion: 3 });
  });

  it('when a token was refused once, then a later check still verifies it anew (refusals are not remembered)', () => {
    const token = rememberedToken();
    expect(verifyToken({ ...config, JWT_AUDIENCE: 'other-clients' }, token)).toBeUndefined();
    expect(verifyToken(config, token)).toEqual({ userId: 42, credentialVersion: 3 });
  });
});
