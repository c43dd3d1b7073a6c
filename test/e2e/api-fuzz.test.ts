// Schemathesis (pinned in scripts/provision/schemathesis.sh) fuzzes the real API over a real socket: every operation of
// /openapi.json with generated valid and invalid requests, then chains of calls (the stateful phase), and every check
// it has (server errors, status codes, content types, response schemas and headers, rejection of invalid data,
// acceptance of valid data, authentication, use after delete, ...). The API runs on a database of its own, recreated
// each run, so fuzzing never renames the seeded products or edits the users other test files check; the order
// workflows run on a real saga (Temporal dev server and worker), so pay/cancel/status requests get real answers.
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from '../../src/api/app.ts';
import { initOrm, migrate, type Orm } from '../../src/db/orm.ts';
import { seedIfEmpty } from '../../src/seed/demo-seed.ts';
import { testConfig, testLogger } from '../helpers/config.ts';
import { recreateOwnDatabase } from '../helpers/own-database.ts';
import { startTestSaga, type TestSaga } from '../helpers/saga.ts';

/** Fixed, so a failure found in CI is the one found locally (same pins, same seed, same cases). */
const SEED = 20261127;
const MAX_EXAMPLES = 50;
const REQUEST_TIMEOUT_SECONDS = 30;
/** Generous: a run takes 40-90 s on the 2-vCPU development machine. */
const FUZZ_TIMEOUT_MS = 10 * 60 * 1000;
const reportDir = fileURLToPath(new URL('../../test-results/api-fuzz/', import.meta.url));
/** This directory: schemathesis.toml and the hooks module (schemathesis_hooks.py) live next to this file. */
const here = fileURLToPath(new URL('.', import.meta.url));

type Run = { code: number | null; signal: NodeJS.Signals | null; output: string };

/** Runs a command without blocking the event loop (the API under test is served by this process). */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: here };
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** Schemathesis's closing line, e.g. `=== 3 failures, 12 passed in 95.2s ===`. */
function summaryLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  return lines.findLast((l) => /^=+ .* in [\d.]+s =+$/.test(l)) ?? lines.findLast((l) => l !== '') ?? '(no output)';
}

describe('API fuzzing with Schemathesis', () => {
  let orm: Orm;
  let saga: TestSaga;
  let server: ServerType;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    const databaseUrl = await recreateOwnDatabase('fuzz');
    // The production deadline for workflow answers (the test default of 60 s would outlast the request timeout).
    const config = testConfig({ DATABASE_URL: databaseUrl, ORDER_REQUEST_TIMEOUT: '10s' });
    orm = await initOrm(config);
    await migrate(orm);
    await seedIfEmpty(orm);
    saga = await startTestSaga(orm, config);
    const app = createApp({ orm, config, log: testLogger(config), probes: {}, workflows: saga.workflows });
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
      server.once('error', reject);
    });
    baseUrl = `http://127.0.0.1:${port}`;

    const email = `fuzz-${process.pid}-${Date.now()}@example.com`;
    const password = 'Secret123!';
    const post = (method: string, path: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const registered = await post('PUT', '/api/user', { name: 'Fuzz User', email, password });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${await registered.text()}`);
    const login = await post('POST', '/api/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    token = ((await login.json()) as { token: string }).token;
  }, 120_000);

  afterAll(async () => {
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    await saga?.stop();
    await orm?.close();
  }, 120_000);

  it(
    'when Schemathesis runs every phase and every check against /openapi.json, then it finds no failure',
    async () => {
      const schemathesis = process.env.SCHEMATHESIS_PATH;
      if (!schemathesis) throw new Error('SCHEMATHESIS_PATH is not set: run the tests through `npm test` (scripts/stack.sh)');
      // Only this run's reports (and the failures `st replay` knows) in the directory.
      await rm(reportDir, { recursive: true, force: true });
      await mkdir(reportDir, { recursive: true });
      const args = [
        // Contract rules JSON Schema cannot express (docs/testing.md, "API fuzzing"): per-operation statuses, and hooks.
        '--config-file',
        join(here, 'schemathesis.toml'),
        'run',
        `${baseUrl}/openapi.json`,
        '--checks',
        'all',
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--max-examples',
        String(MAX_EXAMPLES),
        '--seed',
        String(SEED),
        // One worker: the cases and their order follow from the seed alone (several would interleave by timing).
        '--workers',
        '1',
        '--request-timeout',
        String(REQUEST_TIMEOUT_SECONDS),
        // No example database: a run replays nothing an earlier run found, so the seed alone decides the cases.
        '--generation-database',
        'none',
        // Every failing case of an operation, not only the first: the report is the list of what to fix.
        '--continue-on-failure',
        '--header',
        `Authorization: Bearer ${token}`,
        // JUnit for CI, and the cassette of every request and response for digging into a failure.
        '--report',
        'junit,vcr',
        '--report-junit-path',
        `${reportDir}junit.xml`,
        '--report-vcr-path',
        `${reportDir}cassette.yaml`,
        '--no-color',
      ];
      const started = Date.now();
      // Run in the report directory: Schemathesis keeps its state there (.schemathesis/ with the failures
      // `st replay <id>` re-sends, .hypothesis/), not in the repository root.
      const result = await run(schemathesis, args, reportDir, FUZZ_TIMEOUT_MS - 60_000);
      const seconds = Math.round((Date.now() - started) / 1000);
      await writeFile(`${reportDir}output.txt`, result.output);
      const summary = summaryLine(result.output);
      console.log(`schemathesis (${seconds}s, exit ${result.code ?? result.signal}): ${summary}\nreports: ${reportDir}`);
      // On failure the message carries what Schemathesis found (each failing check, the response, a curl
      // reproduction, then its warnings and summary) as raw text, so the reproductions can be pasted as they are.
      if (result.code !== 0) {
        const found = result.output.slice(Math.max(0, result.output.search(/^=+ FAILURES =+$/m)));
        throw new Error(`Schemathesis exited with ${result.code ?? result.signal}: ${summary}\nreports: ${reportDir}\n\n${found}`);
      }
      expect(result.code).toBe(0);
    },
    FUZZ_TIMEOUT_MS,
  );
});
