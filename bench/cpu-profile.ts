// Reads the V8 CPU profiles a node process wrote with --cpu-prof (one file per thread: the main thread, the Temporal
// SDK's workflow thread, the bundler's) and prints where each thread's time went: by package, by function and, for
// the project's own files, inclusive of what they call. Usage:
//   APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run stack:up    (or a bench suite that restarts the app)
//   … the load to look at …, then stop the app (the profiles are written when it exits)
//   npm run profile -- /tmp/prof [--top 25]
// The times are the profiler's samples, so a thread waiting inside a system call counts as busy there: read them as
// shares of each thread's time, and take CPU per order from the benchmark's per-thread CPU note (/proc), not from here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of Node's `.cpuprofile` JSON this reads. */
export type CpuProfile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
};

export type Share = { name: string; ms: number; share: number };
export type ProfileSummary = { busyMs: number; byPlace: Share[]; byFunction: Share[]; ownInclusive: Share[] };

const ROOT_URL = new URL('../', import.meta.url).href;
/** Samples the thread spent with nothing to run; everything else is busy time. */
const IDLE = '(idle)';

/** Where a frame's code lives: an npm package, a Node built-in module, a project file, or V8/native (`(native)`). */
export function placeOf(url: string, root = ROOT_URL): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  if (url.startsWith(root)) return url.slice(root.length);
  return url;
}

const isOwn = (url: string, root: string) => url.startsWith(root) && !url.includes('/node_modules/');

function ranked(totals: Map<string, number>, busy: number, top: number): Share[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
}

/** Busy time, the top places and functions by self time, and the project's own functions by inclusive time. */
export function summarize(profile: CpuProfile, { top = 20, root = ROOT_URL } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    if (byId.get(id)?.callFrame.functionName === IDLE) return;
    const us = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + us);
    busy += us;
  });
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const ownInclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  const label = (f: CpuProfile['nodes'][number]['callFrame']) =>
    `${f.functionName || '(anonymous)'} ${placeOf(f.url, root)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    add(byPlace, placeOf(frame.url, root), us);
    add(byFunction, label(frame), us);
    // Each own function once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!isOwn(f.url, root)) continue;
      const k = label(f);
      if (seen.has(k)) continue;
      seen.add(k);
      add(ownInclusive, k, us);
    }
  }
  return {
    busyMs: busy / 1000,
    byPlace: ranked(byPlace, busy, top),
    byFunction: ranked(byFunction, busy, top),
    ownInclusive: ranked(ownInclusive, busy, top),
  };
}

/** Node names profiles `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile`; thread 0 is the main thread. */
export function threadOf(file: string): string {
  const m = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(path.basename(file));
  if (!m) return path.basename(file);
  return m[2] === '0' ? `pid ${m[1]}, main thread` : `pid ${m[1]}, worker thread ${m[2]}`;
}

function table(title: string, rows: Share[]): string {
  const lines = rows.map((r) => `| ${r.name.replaceAll('|', '\\|')} | ${r.ms.toFixed(0)} | ${(100 * r.share).toFixed(1)} % |`);
  return [`| ${title} | ms | share |`, '| --- | ---: | ---: |', ...lines].join('\n');
}

export function report(file: string, summary: ProfileSummary): string {
  return [
    `## ${threadOf(file)} (${path.basename(file)})`,
    '',
    `busy ${(summary.busyMs / 1000).toFixed(1)} s (samples not idle)`,
    '',
    table('self time by place', summary.byPlace),
    '',
    table('self time by function', summary.byFunction),
    '',
    table('own code, inclusive', summary.ownInclusive),
    '',
  ].join('\n');
}

function main(args: string[]): void {
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 20;
  const dir = args.find((a, i) => !a.startsWith('--') && i !== topAt + 1);
  if (!dir || !Number.isInteger(top) || top < 1) {
    console.error('usage: npm run profile -- <directory of .cpuprofile files> [--top N]');
    process.exit(2);
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) {
    console.error(`no .cpuprofile files in ${dir} (a profiled process writes them when it exits)`);
    process.exit(1);
  }
  for (const f of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    console.log(report(f, summarize(profile, { top })));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
