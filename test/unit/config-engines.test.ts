// The managed-engine settings (PostgreSQL TLS, Kafka SSL/SASL, Temporal TLS/mTLS/API key): what each implies, which
// combinations are refused at start and how, and that no secret ends up in an error message.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';

let dir: string;
let pem: string;
let otherPem: string;
let der: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'config-engines-'));
  pem = join(dir, 'ca.pem');
  otherPem = join(dir, 'client.pem');
  der = join(dir, 'ca.der');
  writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(otherPem, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('engine settings left unset', () => {
  it('when nothing is set, then every engine connects in plain text and topics keep replication 1', () => {
    const config = loadConfig({});
    expect(config.DATABASE_SSL_MODE).toBe('disable');
    expect(config.KAFKA_SSL).toBe(false);
    expect(config.TEMPORAL_TLS).toBe(false);
    expect(config.KAFKA_REPLICATION_FACTOR).toBe(1);
    expect(config.KAFKA_MIN_INSYNC_REPLICAS).toBeUndefined();
    expect(config.DATABASE_URL).toBe('postgres://saga:saga@127.0.0.1:5432/order_saga');
  });
});

describe('PostgreSQL TLS', () => {
  it('when DATABASE_URL carries sslmode and sslrootcert, then they become the settings and leave the URL', () => {
    const config = loadConfig({
      DATABASE_URL: `postgres://u:p@db.example:5432/app?sslmode=verify-ca&sslrootcert=${pem}&application_name=x`,
    });
    expect(config.DATABASE_SSL_MODE).toBe('verify-ca');
    expect(config.DATABASE_SSL_CA_FILE).toBe(pem);
    expect(config.DATABASE_URL).toBe('postgres://u:p@db.example:5432/app?application_name=x');
  });

  it('when only a CA file is given, then the mode is verify-full; an explicit mode wins', () => {
    expect(loadConfig({ DATABASE_SSL_CA_FILE: pem }).DATABASE_SSL_MODE).toBe('verify-full');
    expect(loadConfig({ DATABASE_SSL_CA_FILE: pem, DATABASE_SSL_MODE: 'require' }).DATABASE_SSL_MODE).toBe('require');
  });

  it('when the URL and the variable disagree on the mode, then both are named', () => {
    expect(failure({ DATABASE_URL: 'postgres://u:p@h/db?sslmode=require', DATABASE_SSL_MODE: 'verify-full' })).toMatch(
      /DATABASE_SSL_MODE: "verify-full" contradicts DATABASE_URL's sslmode=require/,
    );
  });

  it('when the URL asks for a mode the driver cannot honour or an unknown TLS parameter, then start-up is refused', () => {
    expect(failure({ DATABASE_URL: 'postgres://u:p@h/db?sslmode=prefer' })).toMatch(/sslmode=prefer is not supported/);
    expect(failure({ DATABASE_URL: 'postgres://u:p@h/db?ssl=true' })).toMatch(/parameter ssl is not supported/);
    expect(failure({ DATABASE_SSL_MODE: 'prefer' })).toMatch(/DATABASE_SSL_MODE/);
  });

  it('when TLS files are set with sslmode disable, or a client certificate lacks its key, then both variables are named', () => {
    expect(failure({ DATABASE_SSL_MODE: 'disable', DATABASE_SSL_CA_FILE: pem })).toMatch(
      /DATABASE_SSL_MODE: disable, yet DATABASE_SSL_CA_FILE/,
    );
    expect(failure({ DATABASE_SSL_CERT_FILE: pem })).toMatch(
      /DATABASE_SSL_CERT_FILE \/ DATABASE_SSL_KEY_FILE: DATABASE_SSL_CERT_FILE is set without DATABASE_SSL_KEY_FILE/,
    );
  });
});

describe('certificate and key files', () => {
  it('when a file is missing, not PEM, a directory or unreadable, then its variable and path are named', () => {
    expect(failure({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'nope.pem') })).toMatch(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read .*nope\.pem \(ENOENT\)/,
    );
    expect(failure({ KAFKA_SSL_CA_FILE: der })).toMatch(/KAFKA_SSL_CA_FILE: .*ca\.der is not PEM/);
    expect(failure({ DATABASE_SSL_CA_FILE: dir })).toMatch(/DATABASE_SSL_CA_FILE: .* is not a file/);
    if (process.getuid?.() !== 0) {
      // root reads any file, so only an ordinary user can see this refusal
      const locked = join(dir, 'locked.pem');
      writeFileSync(locked, '-----BEGIN CERTIFICATE-----\n');
      chmodSync(locked, 0o000);
      expect(failure({ KAFKA_SSL_CA_FILE: locked })).toMatch(/KAFKA_SSL_CA_FILE: cannot read .*locked\.pem \(EACCES\)/);
    }
  });

  it('when several rules break at once, then every one is listed', () => {
    const message = failure({ TEMPORAL_TLS_CLIENT_KEY_PATH: otherPem, KAFKA_SSL_CA_FILE: der, DATABASE_SSL_CERT_FILE: pem });
    expect(message).toMatch(
      /TEMPORAL_TLS_CLIENT_CERT_PATH \/ TEMPORAL_TLS_CLIENT_KEY_PATH: TEMPORAL_TLS_CLIENT_KEY_PATH is set without TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
    expect(message).toMatch(/KAFKA_SSL_CA_FILE: .* is not PEM/);
    expect(message).toMatch(/DATABASE_SSL_KEY_FILE/);
  });
});

describe('Kafka SSL and SASL', () => {
  it('when a CA file is set, then SSL is on; KAFKA_SSL=true alone uses the default trust store', () => {
    expect(loadConfig({ KAFKA_SSL_CA_FILE: pem }).KAFKA_SSL).toBe(true);
    expect(loadConfig({ KAFKA_SSL: 'true' }).KAFKA_SSL).toBe(true);
    expect(failure({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: pem })).toMatch(/KAFKA_SSL: false, yet KAFKA_SSL_CA_FILE/);
  });

  it('when a client certificate lacks its key, then both variables are named', () => {
    expect(failure({ KAFKA_SSL_CERT_FILE: pem })).toMatch(
      /KAFKA_SSL_CERT_FILE \/ KAFKA_SSL_KEY_FILE: KAFKA_SSL_CERT_FILE is set without KAFKA_SSL_KEY_FILE/,
    );
  });

  it('when SASL lacks a credential or a mechanism, then start-up is refused without echoing the password', () => {
    expect(failure({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'app' })).toMatch(
      /KAFKA_SASL_USERNAME \/ KAFKA_SASL_PASSWORD: KAFKA_SASL_MECHANISM=scram-sha-512 needs both/,
    );
    const message = failure({ KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'hunter2-secret' });
    expect(message).toMatch(/KAFKA_SASL_MECHANISM: not set/);
    expect(message).not.toMatch(/hunter2-secret/);
    expect(failure({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' })).toMatch(/KAFKA_SASL_MECHANISM/);
    const ok = loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: 'pw' });
    expect(ok.KAFKA_SASL_MECHANISM).toBe('plain');
  });

  it('when min.insync.replicas exceeds the replication factor, then both are named', () => {
    expect(failure({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toMatch(
      /KAFKA_MIN_INSYNC_REPLICAS: 2 exceeds KAFKA_REPLICATION_FACTOR 1/,
    );
    const cluster = loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    expect([cluster.KAFKA_REPLICATION_FACTOR, cluster.KAFKA_MIN_INSYNC_REPLICAS]).toEqual([3, 2]);
    expect(failure({ KAFKA_REPLICATION_FACTOR: '0' })).toMatch(/KAFKA_REPLICATION_FACTOR/);
  });
});

describe('Temporal TLS, mTLS and API key', () => {
  it('when an API key, a CA or a server name is set, then TLS is on', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'k' }).TEMPORAL_TLS).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pem }).TEMPORAL_TLS).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }).TEMPORAL_TLS).toBe(true);
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
  });

  it('when TLS is turned off explicitly beside an API key, then start-up is refused without echoing the key', () => {
    const message = failure({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'very-secret-api-key' });
    expect(message).toMatch(/TEMPORAL_TLS: false, yet TEMPORAL_API_KEY is set, which needs TLS/);
    expect(message).not.toMatch(/very-secret-api-key/);
  });

  it('when a client certificate lacks its key, then both variables are named', () => {
    expect(failure({ TEMPORAL_TLS_CLIENT_CERT_PATH: pem })).toMatch(
      /TEMPORAL_TLS_CLIENT_CERT_PATH \/ TEMPORAL_TLS_CLIENT_KEY_PATH: TEMPORAL_TLS_CLIENT_CERT_PATH is set without TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
    const mtls = loadConfig({
      TEMPORAL_TLS_CLIENT_CERT_PATH: pem,
      TEMPORAL_TLS_CLIENT_KEY_PATH: otherPem,
      TEMPORAL_NAMESPACE: 'orders.a1b2c',
    });
    expect(mtls.TEMPORAL_TLS).toBe(true);
    expect(mtls.TEMPORAL_NAMESPACE).toBe('orders.a1b2c');
  });
});
