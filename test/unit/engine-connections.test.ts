// How the resolved engine settings become each client library's options: kafkajs `ssl`/`sasl`, Temporal's `tls`/
// `apiKey` (shared by Connection and NativeConnection) and pg's `ssl` with libpq's sslmode meanings.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { pgClientConfig, pgSsl } from '../../src/db/pg-tls.ts';
import { kafkaSecurity } from '../../src/messaging/kafka.ts';
import { temporalConnectionOptions } from '../../src/temporal/connection.ts';

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-connections-'));
  for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(file(name), `-----BEGIN ${name}-----\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kafkaSecurity', () => {
  it('when nothing is set, then kafkajs gets neither ssl nor sasl', () => {
    expect(kafkaSecurity(loadConfig({}))).toEqual({});
  });

  it('when KAFKA_SSL=true without files, then ssl is true (the default trust store)', () => {
    expect(kafkaSecurity(loadConfig({ KAFKA_SSL: 'true' }))).toEqual({ ssl: true });
  });

  it('when files and SCRAM credentials are set, then ssl carries the PEM contents and sasl the credentials', () => {
    const options = kafkaSecurity(
      loadConfig({
        KAFKA_SSL_CA_FILE: file('ca.pem'),
        KAFKA_SSL_CERT_FILE: file('cert.pem'),
        KAFKA_SSL_KEY_FILE: file('key.pem'),
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'app',
        KAFKA_SASL_PASSWORD: 'pw',
      }),
    );
    const ssl = options.ssl as { ca: Buffer; cert: Buffer; key: Buffer };
    expect([ssl.ca.toString(), ssl.cert.toString(), ssl.key.toString()]).toEqual([
      '-----BEGIN ca.pem-----\n',
      '-----BEGIN cert.pem-----\n',
      '-----BEGIN key.pem-----\n',
    ]);
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'app', password: 'pw' });
  });
});

describe('temporalConnectionOptions', () => {
  it('when nothing is set, then only the address is passed (plain text)', () => {
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({ address: 'temporal:7233' });
  });

  it('when mTLS files and a server name are set, then tls carries them for the SDK', () => {
    const options = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: file('cert.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: file('key.pem'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }),
    );
    expect(options.address).toBe('ns.acct.tmprl.cloud:7233');
    expect(options.apiKey).toBeUndefined();
    expect(options.tls?.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe('-----BEGIN ca.pem-----\n');
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe('-----BEGIN cert.pem-----\n');
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe('-----BEGIN key.pem-----\n');
  });

  it('when only an API key is set, then TLS is on with the system trust store and the key is passed', () => {
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_API_KEY: 'key-1' }))).toEqual({
      address: '127.0.0.1:7233',
      tls: {},
      apiKey: 'key-1',
    });
  });
});

describe('pgSsl', () => {
  it('when the mode is disable, then pg gets ssl false', () => {
    expect(pgSsl(loadConfig({}))).toBe(false);
  });

  it('when the mode is require without a CA, then the connection is encrypted but the server is not verified', () => {
    expect(pgSsl(loadConfig({ DATABASE_SSL_MODE: 'require' }))).toEqual({ rejectUnauthorized: false });
  });

  it('when the mode is verify-ca, or require with a CA, then the chain is checked but not the host name', () => {
    for (const env of [
      { DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_CA_FILE: file('ca.pem') },
      { DATABASE_SSL_MODE: 'require', DATABASE_SSL_CA_FILE: file('ca.pem') },
    ]) {
      const ssl = pgSsl(loadConfig(env));
      expect(ssl && ssl.rejectUnauthorized).toBe(true);
      expect(ssl && ssl.checkServerIdentity?.('other.host', {} as never)).toBeUndefined();
      expect(ssl && String(ssl.ca)).toBe('-----BEGIN ca.pem-----\n');
    }
  });

  it('when the mode is verify-full, then both the chain and the host name are checked (Node defaults)', () => {
    const ssl = pgSsl(
      loadConfig({
        DATABASE_SSL_CA_FILE: file('ca.pem'),
        DATABASE_SSL_CERT_FILE: file('cert.pem'),
        DATABASE_SSL_KEY_FILE: file('key.pem'),
      }),
    );
    expect(ssl && ssl.rejectUnauthorized).toBe(true);
    expect(ssl && ssl.checkServerIdentity).toBeUndefined();
    expect(ssl && [String(ssl.cert), String(ssl.key as Buffer)]).toEqual(['-----BEGIN cert.pem-----\n', '-----BEGIN key.pem-----\n']);
  });

  it('when the URL carried the TLS parameters, then the pg client gets a URL without them beside its ssl option', () => {
    const config = loadConfig({ DATABASE_URL: `postgres://u:p@db:5432/app?sslmode=verify-full&sslrootcert=${file('ca.pem')}` });
    const client = pgClientConfig(config);
    expect(client.connectionString).toBe('postgres://u:p@db:5432/app');
    expect(client.ssl).toMatchObject({ rejectUnauthorized: true });
  });
});
