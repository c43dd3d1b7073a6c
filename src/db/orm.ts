// MikroORM bootstrap. `initOrm` takes the config plus overrides so tests can point at their own database.
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';
import { pgSsl, type DatabaseTlsConfig } from './pg-tls.ts';

export type Orm = MikroORM;

export async function initOrm(
  config: Pick<Config, 'DATABASE_URL' | 'DB_POOL_MAX'> & Partial<DatabaseTlsConfig>,
  overrides: Partial<Options> = {},
): Promise<Orm> {
  return MikroORM.init({
    clientUrl: config.DATABASE_URL,
    // MikroORM reads only host, port, user, password and database from clientUrl; TLS goes to the pg pool directly.
    driverOptions: { ssl: pgSsl(config) },
    entities,
    pool: { min: 0, max: config.DB_POOL_MAX },
    extensions: [Migrator],
    migrations: { migrationsList: migrations, snapshot: false, snapshotOnMigrate: false, silent: true, tableName: 'mikro_orm_migrations' },
    forceUtcTimezone: true,
    ...overrides,
  });
}

const MIGRATION_LOCK = 727273;

/**
 * Applies pending migrations; returns the names applied. Processes starting together (several roles, several
 * replicas) take turns through a session-level advisory lock held on a connection of its own, so only the first
 * applies anything and the others find nothing left to do.
 */
export async function migrate(orm: Orm, log?: Logger): Promise<string[]> {
  // The ORM's own TLS options (initOrm), so the lock connection is as secure as the pool.
  const { ssl } = orm.config.get<'driverOptions', { ssl?: pg.ClientConfig['ssl'] }>('driverOptions');
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl'), ssl: ssl ?? false });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.migrator.up();
    const names = applied.map((m) => m.name);
    if (names.length > 0) log?.info({ migrations: names }, 'applied migrations');
    return names;
  } finally {
    await lock.end(); // ending the session releases the lock
  }
}
