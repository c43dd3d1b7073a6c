// The CPU-profile summary behind `npm run profile` (bench/cpu-profile.ts). Unit test: a small hand-made profile.
import { describe, expect, it } from '@jest/globals';
import { placeOf, summarize, threadOf, type CpuProfile } from '../../bench/cpu-profile.ts';

const ROOT = 'file:///repo/';
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// (root) → handle (src/api/a.ts) → query (pg) ; (root) → (idle) ; (root) → (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('handle', `${ROOT}src/api/a.ts`, 9), children: [3] },
    { id: 3, callFrame: frame('query', `${ROOT}node_modules/pg/lib/client.js`, 99), children: [4] },
    { id: 4, callFrame: frame('handle', `${ROOT}src/api/a.ts`, 9) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  samples: [2, 3, 3, 4, 5, 6],
  timeDeltas: [100, 200, 300, 400, 10_000, 50],
};

describe('a CPU profile summary', () => {
  const summary = summarize(profile, { root: ROOT });

  it('counts every sample but the idle ones as busy', () => {
    expect(summary.busyMs).toBeCloseTo(1.05);
  });

  it('splits self time by package, project file and native code', () => {
    expect(summary.byPlace.map((s) => [s.name, s.ms])).toEqual([
      ['src/api/a.ts', 0.5],
      ['pg', 0.5],
      ['(native)', 0.05],
    ]);
    expect(summary.byPlace[2]!.share).toBeCloseTo(0.05 / 1.05);
  });

  it('ranks functions by self time, named with their place and 1-based line', () => {
    expect(summary.byFunction[0]).toMatchObject({ name: 'handle src/api/a.ts:10', ms: 0.5 });
  });

  it("counts an own function's inclusive time once per sample, also when it recurses", () => {
    expect(summary.ownInclusive).toEqual([{ name: 'handle src/api/a.ts:10', ms: 1, share: 1 / 1.05 }]);
  });

  it('names places and threads', () => {
    expect(placeOf('node:internal/timers', ROOT)).toBe('node:internal/timers');
    expect(placeOf(`${ROOT}node_modules/@temporalio/worker/lib/worker.js`, ROOT)).toBe('@temporalio/worker');
    expect(threadOf('CPU.20261206.182616.16501.0.001.cpuprofile')).toBe('pid 16501, main thread');
    expect(threadOf('CPU.20261206.182618.16501.2.003.cpuprofile')).toBe('pid 16501, worker thread 2');
  });
});
