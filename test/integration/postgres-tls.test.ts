// PostgreSQL over TLS, for real: a cluster of the test's own that refuses plain connections, and the app's settings
// (DATABASE_SSL_*, or sslmode/sslrootcert in DATABASE_URL) reaching every connection the app opens: MikroORM's pool,
// the migration lock and the credential listener. Certificates are made for the run with openssl.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CredentialStore, listenForCredentialChanges, type CredentialListener } from '../../src/api/auth/credentials.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { initOrm, migrate, type Orm } from '../../src/db/orm.ts';
import { pgClientConfig } from '../../src/db/pg-tls.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { startTlsPostgres, type TlsPostgres } from '../helpers/tls-postgres.ts';

let dir: string;
let certs: TestCertificates;
let server: TlsPostgres;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postgres-tls-'));
  certs = makeTestCertificates(dir);
  server = startTlsPostgres(dir, certs, await freeLoopbackPort());
  url = `postgres://saga:saga@localhost:${server.port}/${server.database}`;
});

afterAll(() => {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const configFor = (env: Record<string, string>): Config => loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, ...env });

async function queryOnce(config: Config, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client(pgClientConfig(config));
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL with TLS', () => {
  it('when DATABASE_SSL_CA_FILE names the CA, then the ORM migrates and queries over verified TLS, and so does the credential listener', async () => {
    const config = configFor({ DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: certs.ca, DB_POOL_MAX: '2' });
    let orm: Orm | undefined;
    let listener: CredentialListener | undefined;
    try {
      orm = await initOrm(config);
      // The lock connection of migrate() is a client of its own: the server refuses it unless it uses TLS too.
      expect((await migrate(orm)).length).toBeGreaterThan(0);
      const [row] = await orm.em.getConnection().execute<{ ssl: boolean }[]>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
      expect(row?.ssl).toBe(true);
      const store = new CredentialStore({ ttlMs: 60_000 });
      listener = listenForCredentialChanges(pgClientConfig(config), store, testLogger(config));
      await eventually(async () => store.listening, Boolean, { what: 'the credential listener to connect over TLS' });
    } finally {
      await listener?.stop();
      await orm?.close();
    }
  });

  it('when the TLS settings come in DATABASE_URL (sslmode, sslrootcert), then they apply the same way', async () => {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: `${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca)}`,
    });
    expect(await queryOnce(config, 'select ssl, version from pg_stat_ssl where pid = pg_backend_pid()')).toMatchObject({ ssl: true });
  });

  it('when TLS is off, then the server refuses the connection', async () => {
    await expect(queryOnce(configFor({}), 'select 1')).rejects.toThrow(/no encryption/);
  });

  it('when the CA does not vouch for the server, then verify-full and verify-ca refuse it, and require connects unverified', async () => {
    for (const mode of ['verify-full', 'verify-ca']) {
      await expect(queryOnce(configFor({ DATABASE_SSL_MODE: mode, DATABASE_SSL_CA_FILE: certs.otherCa }), 'select 1')).rejects.toThrow(
        /self[- ]signed|unable to (verify|get)/i,
      );
    }
    expect(
      await queryOnce(configFor({ DATABASE_SSL_MODE: 'require' }), 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'),
    ).toEqual({
      ssl: true,
    });
  });

  it('when a client certificate is configured, then a user authenticated by certificate logs in without a password', async () => {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: `postgres://saga_cert@localhost:${server.port}/${server.database}`,
      DATABASE_SSL_CA_FILE: certs.ca,
      DATABASE_SSL_CERT_FILE: certs.clientCert,
      DATABASE_SSL_KEY_FILE: certs.clientKey,
    });
    expect(await queryOnce(config, 'select current_user as "user"')).toEqual({ user: 'saga_cert' });
    const withoutCert = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: config.DATABASE_URL, DATABASE_SSL_CA_FILE: certs.ca });
    await expect(queryOnce(withoutCert, 'select 1')).rejects.toThrow(/certificate/i);
  });
});
