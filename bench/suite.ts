// What a benchmark suite is to the runner (bench/run.ts): a name, its own settings, and a run that adds rows (each
// figure with its baseline) and notes to its result.
import type { Settings } from './bench.lib.ts';
import type { Row, SuiteResult } from './report.ts';
import type { StackClients } from './saga.ts';
import type { StackNeeds } from './stack.ts';

/** The suite cannot run here as things are (wrong app settings in check mode, …): reported, not a failure. */
export class SkipError extends Error {}

export type CommonSettings = { BASE_URL: string; BENCH_EMAIL: string; BENCH_PASSWORD: string };

export type SuiteContext = {
  common: CommonSettings;
  /** Gets the stack app into the settings the suite needs (restarting the app alone in manage mode) and connects. */
  stack: (needs: StackNeeds) => Promise<StackClients>;
  row: (row: Row) => void;
  note: (note: string) => void;
  result: SuiteResult;
};

export type Suite = {
  name: string;
  /** Long suites run only when named (or with `all`). */
  long: boolean;
  summary: string;
  /** Reads and validates the suite's environment variables (called before any suite runs, so typos fail fast). */
  settings: () => Settings;
  run: (ctx: SuiteContext) => Promise<void>;
};
