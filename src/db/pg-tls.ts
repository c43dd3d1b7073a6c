// PostgreSQL TLS for every connection the app opens (MikroORM's pool, the migration lock, the credential listener),
// built from the resolved DATABASE_SSL_* settings with libpq's sslmode meanings, so one setting covers them all.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';
import type { Config } from '../config.ts';

export type DatabaseTlsConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATABASE_SSL_MODE' | 'DATABASE_SSL_CA_FILE' | 'DATABASE_SSL_CERT_FILE' | 'DATABASE_SSL_KEY_FILE'
>;

/** The `ssl` option of a `pg` client or pool: false for plain connections. Reads the certificate files each call. */
export function pgSsl(config: Partial<DatabaseTlsConfig>): false | ConnectionOptions {
  const mode = config.DATABASE_SSL_MODE ?? 'disable';
  if (mode === 'disable') return false;
  const files: ConnectionOptions = {
    ...(config.DATABASE_SSL_CA_FILE !== undefined && { ca: readFileSync(config.DATABASE_SSL_CA_FILE) }),
    ...(config.DATABASE_SSL_CERT_FILE !== undefined && { cert: readFileSync(config.DATABASE_SSL_CERT_FILE) }),
    ...(config.DATABASE_SSL_KEY_FILE !== undefined && { key: readFileSync(config.DATABASE_SSL_KEY_FILE) }),
  };
  // libpq: require encrypts without checking who answers, unless a root certificate is given (then as verify-ca).
  if (mode === 'require' && files.ca === undefined) return { ...files, rejectUnauthorized: false };
  // verify-ca: the chain must lead to the CA, whatever name the certificate carries.
  if (mode === 'require' || mode === 'verify-ca') return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...files, rejectUnauthorized: true };
}

/** Options for a `pg.Client` of the app's database. */
export function pgClientConfig(config: DatabaseTlsConfig): ClientConfig {
  return { connectionString: config.DATABASE_URL, ssl: pgSsl(config) };
}
