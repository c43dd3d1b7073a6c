// Real PostgreSQL: MikroORM connects and the committed migrations build the schema the API relies on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { initOrm, migrate, type Orm } from '../../src/db/orm.ts';
import { migrations } from '../../src/db/migrations/index.ts';
import { testConfig } from '../helpers/config.ts';

describe('database migrations', () => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await initOrm(testConfig());
  });

  afterAll(async () => {
    await orm.close();
  });

  it('when the global setup migrated an empty database, then every migration is recorded as applied', async () => {
    const rows = await orm.em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations order by id');
    expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
  });

  it('when migrations run again, then nothing is applied twice', async () => {
    expect(await migrate(orm)).toEqual([]);
  });

  it('when the schema is inspected, then the tables and named indexes of the contract exist', async () => {
    const tables = await orm.em
      .getConnection()
      .execute<{ table_name: string }[]>("select table_name from information_schema.tables where table_schema = 'public' order by 1");
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['users', 'products', 'orders', 'order_items', 'notifications']),
    );
    const indexes = await orm.em
      .getConnection()
      .execute<{ indexname: string }[]>("select indexname from pg_indexes where tablename = 'notifications'");
    expect(indexes.map((i) => i.indexname)).toEqual(expect.arrayContaining(['idx_notifications_user_id', 'idx_notifications_order_id']));
  });
});
