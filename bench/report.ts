// Results: every figure is a row with its baseline measured in the same run, printed as a table and written as JSON
// (everything, for tools) and as a markdown table (for people) under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from './bench.lib.ts';

export type Row = {
  figure: string;
  unit: string;
  value: number;
  /** The same figure for the baseline, measured in the same run; omitted only where none applies. */
  baseline?: number;
  /** What the baseline is, e.g. "raw pg loop" or "idle, no load". */
  baselineIs?: string;
  note?: string;
};

export type SuiteStatus = 'ok' | 'failed' | 'skipped';

export type SuiteResult = {
  suite: string;
  status: SuiteStatus;
  /** Why it failed or was skipped. */
  reason?: string;
  /** The suite's own settings (environment variables). */
  settings: Settings;
  /** The app settings the suite ran against (as read from the app process, or assumed). */
  stack: Record<string, string>;
  startedAt: string;
  durationS: number;
  /** 1-minute load average at the start and end of the suite: this machine is shared. */
  loadAverage: [number, number];
  /** Whether a jest process was seen at the start or end of the suite (another engineer's tests share the servers). */
  jestSeen: boolean;
  rows: Row[];
  notes: string[];
  /** Per-round or per-sample details, JSON only. */
  details?: unknown;
};

export type RunResult = {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: { hostname: string; cpus: number; cpuModel: string; memoryGiB: number; node: string };
  suites: SuiteResult[];
};

export const ratioOf = (row: Row): number | undefined =>
  row.baseline === undefined || row.baseline === 0 || !Number.isFinite(row.baseline) ? undefined : row.value / row.baseline;

export function formatNumber(value: number | undefined, unit = ''): string {
  if (value === undefined) return '—';
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

const formatRatio = (row: Row): string => {
  const ratio = ratioOf(row);
  return ratio === undefined ? '—' : `${ratio.toFixed(2)}×`;
};

const COLUMNS = ['figure', 'measured', 'baseline', 'ratio', 'baseline is'] as const;

function cells(row: Row): string[] {
  const baselineIs = [row.baselineIs, row.note].filter(Boolean).join('; ');
  return [row.figure, formatNumber(row.value, row.unit), formatNumber(row.baseline, row.unit), formatRatio(row), baselineIs];
}

function statusLine(result: SuiteResult): string {
  const load = `load ${result.loadAverage.map((l) => l.toFixed(2)).join(' → ')}${result.jestSeen ? ', jest was running' : ''}`;
  const status = result.status === 'ok' ? 'ok' : `${result.status.toUpperCase()}: ${result.reason ?? ''}`;
  return `${status} — ${result.durationS.toFixed(0)} s, ${load}`;
}

const stackLine = (result: SuiteResult) =>
  Object.entries(result.stack)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

const settingsLine = (result: SuiteResult) =>
  Object.entries(result.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/** Plain-text table of one suite, aligned for a terminal. */
export function printSuite(result: SuiteResult): void {
  console.log(`\n== ${result.suite}: ${statusLine(result)}`);
  if (Object.keys(result.stack).length > 0) console.log(`   stack: ${stackLine(result)}`);
  console.log(`   settings: ${settingsLine(result)}`);
  if (result.rows.length > 0) {
    const table = [[...COLUMNS], ...result.rows.map(cells)];
    const widths = COLUMNS.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
    for (const [index, row] of table.entries()) {
      const [figure = '', ...rest] = row;
      const numbers = rest.slice(0, 3).map((c, i) => c.padStart(widths[i + 1] ?? 0));
      console.log(`   ${figure.padEnd(widths[0] ?? 0)}  ${numbers.join('  ')}  ${rest[3] ?? ''}`.trimEnd());
      if (index === 0) console.log(`   ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
    }
  }
  for (const note of result.notes) console.log(`   note: ${note}`);
}

const escapeMd = (text: string) => text.replace(/\|/g, '\\|');

export function markdown(run: RunResult): string {
  const lines = [
    `# Benchmark run ${run.startedAt}`,
    '',
    `\`${run.command}\` on ${run.machine.hostname} (${run.machine.cpus} × ${run.machine.cpuModel}, ${run.machine.memoryGiB} GiB, Node ${run.machine.node}).`,
    'Ratio = measured ÷ baseline; both were measured in this run on this machine.',
  ];
  for (const result of run.suites) {
    lines.push('', `## ${result.suite}`, '', statusLine(result), '');
    if (Object.keys(result.stack).length > 0) lines.push(`Stack: \`${stackLine(result)}\`  `);
    lines.push(`Settings: \`${settingsLine(result)}\``, '');
    if (result.rows.length > 0) {
      lines.push(`| ${COLUMNS.join(' | ')} |`, `| ${COLUMNS.map((_, i) => (i >= 1 && i <= 3 ? '---:' : '---')).join(' | ')} |`);
      for (const row of result.rows) lines.push(`| ${cells(row).map(escapeMd).join(' | ')} |`);
      lines.push('');
    }
    for (const note of result.notes) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

export function machine(): RunResult['machine'] {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Writes <dir>/<timestamp>.json and .md; returns their paths. */
export function writeResults(dir: string, run: RunResult): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  const json = path.join(dir, `${stamp}.json`);
  const md = path.join(dir, `${stamp}.md`);
  const withRatios = { ...run, suites: run.suites.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, ratio: ratioOf(r) })) })) };
  writeFileSync(json, `${JSON.stringify(withRatios, null, 2)}\n`);
  writeFileSync(md, markdown(run));
  return [json, md];
}
