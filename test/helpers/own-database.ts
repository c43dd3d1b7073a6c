// A database of a test file's own, beside the run's test database (TEST_DATABASE_URL) and named after it, so a test
// that rewrites shared data (seeded products, users) leaves the database other test files check alone, and two runs
// on different test databases never share it. The app user may create databases (scripts/provision/postgres.sh).
import pg from 'pg';

/** Drops and recreates `<test database>_<suffix>` (empty, no schema applied); returns its URL. */
export async function recreateOwnDatabase(suffix: string): Promise<string> {
  const testUrl = process.env.TEST_DATABASE_URL;
  if (!testUrl) throw new Error('TEST_DATABASE_URL is not set: run the tests through `npm test`');
  const url = new URL(testUrl);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_${suffix}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unusable database name: ${name}`);
  // Connected to the test database itself: only to issue the DDL, it reads and writes nothing there.
  const admin = new pg.Client({ connectionString: testUrl });
  await admin.connect();
  try {
    // FORCE ends sessions an interrupted earlier run left behind.
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}
