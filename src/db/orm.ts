// MikroORM bootstrap. `initOrm` takes the config plus overrides so tests can point at their own database.
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';

export type Orm = MikroORM;

export async function initOrm(config: Pick<Config, 'DATABASE_URL' | 'DB_POOL_MAX'>, overrides: Partial<Options> = {}): Promise<Orm> {
  return MikroORM.init({
    clientUrl: config.DATABASE_URL,
    entities,
    pool: { min: 0, max: config.DB_POOL_MAX },
    extensions: [Migrator],
    migrations: { migrationsList: migrations, snapshot: false, snapshotOnMigrate: false, silent: true, tableName: 'mikro_orm_migrations' },
    forceUtcTimezone: true,
    ...overrides,
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm, log?: Logger): Promise<string[]> {
  const applied = await orm.migrator.up();
  const names = applied.map((m) => m.name);
  if (names.length > 0) log?.info({ migrations: names }, 'applied migrations');
  return names;
}
