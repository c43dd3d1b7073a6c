// Jest global setup for the integration and e2e projects: an empty test database with every migration applied and the demo seed,
// so each run starts from the same state whatever an earlier run left behind.
import { initOrm, migrate } from '../../src/db/orm.ts';
import { seedIfEmpty } from '../../src/seed/demo-seed.ts';
import { testConfig } from '../helpers/config.ts';

export default async function freshDatabase(): Promise<void> {
  const orm = await initOrm(testConfig());
  try {
    await orm.em.getConnection().execute('drop schema if exists public cascade; create schema public;');
    await migrate(orm);
    await seedIfEmpty(orm);
  } finally {
    await orm.close();
  }
}
