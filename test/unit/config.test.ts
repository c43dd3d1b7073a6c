// The config module: defaults, duration parsing and refusal of unsafe settings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, renamedVariableWarnings } from '../../src/config.ts';

describe('loadConfig', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.TEMPORAL_TASK_QUEUE).toBe('orders');
    expect(config.PAYMENT_DURATION).toBe(5000);
    expect(config.ORDER_EXPIRY).toBe(600_000);
    expect(config.PAYMENT_SUCCESS_RATE).toBe(0.5);
  });

  it('when durations are given as ms-style strings or milliseconds, then both are understood', () => {
    const config = loadConfig({ PAYMENT_DURATION: '250ms', ORDER_EXPIRY: '2m', JWT_EXPIRES_IN: '1500' });
    expect(config.PAYMENT_DURATION).toBe(250);
    expect(config.ORDER_EXPIRY).toBe(120_000);
    expect(config.JWT_EXPIRES_IN).toBe(1500);
  });

  it('when values are invalid, then every bad variable is named', () => {
    expect(() => loadConfig({ PORT: 'abc', ORDER_EXPIRY: 'soon' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', ORDER_EXPIRY: 'soon' });
    } catch (err) {
      expect(String((err as Error).message)).toMatch(/PORT/);
      expect(String((err as Error).message)).toMatch(/ORDER_EXPIRY: not a duration: "soon"/);
    }
  });

  it('when NODE_ENV is production and JWT_SECRET is the dev default, then start-up is refused', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/dev-only default is refused/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).NODE_ENV).toBe('production');
  });

  it('when HOST is unset, then development and test listen on loopback and production on every interface', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'test' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).HOST).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', JWT_SECRET: 'x'.repeat(40) }).HOST).toBe('0.0.0.0');
  });

  it('when the dev JWT secret would be served beyond loopback, then start-up is refused', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/dev-only default is refused when listening beyond loopback/);
    expect(() => loadConfig({ HOST: '192.168.1.10' })).toThrow(ConfigError);
    expect(loadConfig({ HOST: '127.0.0.1' }).HOST).toBe('127.0.0.1');
  });

  it('when PRODUCT_WRITE_ACCESS is unset, then production allows only admins and development anyone logged in', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).PRODUCT_WRITE_ACCESS).toBe('admin');
    expect(loadConfig({}).PRODUCT_WRITE_ACCESS).toBe('any');
    expect(loadConfig({ PRODUCT_WRITE_ACCESS: 'admin' }).PRODUCT_WRITE_ACCESS).toBe('admin');
    expect(() => loadConfig({ PRODUCT_WRITE_ACCESS: 'everyone' })).toThrow(/PRODUCT_WRITE_ACCESS/);
  });

  it('when CORS_ORIGINS lists origins, then they are split and trimmed; unset means none', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});

describe("Temporal's own variable names", () => {
  const base = { NODE_ENV: 'test' };
  // The files must exist and look like PEM (the config checks both at start); what they hold does not matter here.
  const dir = mkdtempSync(path.join(tmpdir(), 'temporal-names-'));
  const [ca, cert, key] = ['ca.pem', 'c.pem', 'k.pem'].map((name) => {
    writeFileSync(path.join(dir, name), '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
    return path.join(dir, name);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when the Temporal names are set, then they configure the connection', () => {
    const config = loadConfig({
      ...base,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
    });
    expect([
      config.TEMPORAL_TLS,
      config.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
      config.TEMPORAL_TLS_CLIENT_CERT_PATH,
      config.TEMPORAL_TLS_CLIENT_KEY_PATH,
    ]).toEqual([true, ca, cert, key]);
    expect(renamedVariableWarnings({ ...base, TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca })).toEqual([]);
  });

  it('when the former names are set, then they still work, each with a warning naming its new name', () => {
    const env = { ...base, TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_TLS_CERT_FILE: cert, TEMPORAL_TLS_KEY_FILE: key };
    const config = loadConfig(env);
    expect([config.TEMPORAL_TLS_SERVER_CA_CERT_PATH, config.TEMPORAL_TLS_CLIENT_CERT_PATH, config.TEMPORAL_TLS_CLIENT_KEY_PATH]).toEqual([
      ca,
      cert,
      key,
    ]);
    expect(renamedVariableWarnings(env)).toEqual([
      expect.stringMatching(/^TEMPORAL_TLS_CA_FILE is deprecated: use TEMPORAL_TLS_SERVER_CA_CERT_PATH/),
      expect.stringMatching(/^TEMPORAL_TLS_CERT_FILE is deprecated: use TEMPORAL_TLS_CLIENT_CERT_PATH/),
      expect.stringMatching(/^TEMPORAL_TLS_KEY_FILE is deprecated: use TEMPORAL_TLS_CLIENT_KEY_PATH/),
    ]);
  });

  it('when a former name and its new name disagree, then the configuration is refused naming both', () => {
    expect(() => loadConfig({ ...base, TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_TLS_SERVER_CA_CERT_PATH: cert })).toThrow(
      /TEMPORAL_TLS_CA_FILE: set next to TEMPORAL_TLS_SERVER_CA_CERT_PATH with another value/,
    );
  });
});
