// The soak's pure parts (bench/soak/): the least-squares fit and growth verdict, and the SVG chart writer.
import { describe, expect, it } from '@jest/globals';
import { lastWindow, linearFit, slopeTest, type Point } from '../../bench/soak/slope.ts';
import { chartSvg, escapeXml, formatTick, niceTicks } from '../../bench/soak/svg.ts';
import { parseMix } from '../../bench/soak/load.ts';

const line = (n: number, f: (t: number) => number): Point[] => Array.from({ length: n }, (_, t) => ({ t, v: f(t) }));
/** A deterministic zig-zag noise of amplitude `a`. */
const zigzag = (a: number) => (t: number) => (t % 2 === 0 ? a : -a) * (t % 3 === 0 ? 0.5 : 1);
const settings = { windowMin: 40, minT: 3, minPoints: 5 };

describe('linearFit', () => {
  it('recovers the slope and intercept of an exact line, with an infinite t statistic', () => {
    const fit = linearFit(line(10, (t) => 3 + 2 * t))!;
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(fit.intercept).toBeCloseTo(3, 10);
    expect(fit.mean).toBeCloseTo(12, 10);
    expect(fit.tStat).toBe(Infinity);
    expect([fit.t0, fit.t1, fit.n]).toEqual([0, 9, 10]);
  });

  it('gives t = 0 for a flat series and a small t for noise around a flat level', () => {
    expect(linearFit(line(10, () => 5))!.tStat).toBe(0);
    const noisy = linearFit(line(41, (t) => 100 + zigzag(10)(t)))!;
    expect(Math.abs(noisy.tStat)).toBeLessThan(3);
  });

  it('computes the t statistic as slope over its standard error', () => {
    // v = t plus residuals +1, -1, -1, +1 around it: slope 1 exactly (the residuals are symmetric about the middle).
    const points = [
      { t: 0, v: 1 },
      { t: 1, v: 0 },
      { t: 2, v: 1 },
      { t: 3, v: 4 },
    ];
    const fit = linearFit(points)!;
    expect(fit.slope).toBeCloseTo(1, 10);
    expect(fit.intercept).toBeCloseTo(0, 10);
    // SSE = 4, n − 2 = 2, Sxx = 5: standard error sqrt(2 / 5).
    expect(fit.tStat).toBeCloseTo(1 / Math.sqrt(2 / 5), 10);
  });

  it('needs three points at two times at least, and skips non-finite values', () => {
    expect(
      linearFit([
        { t: 0, v: 1 },
        { t: 1, v: 2 },
      ]),
    ).toBeUndefined();
    expect(
      linearFit([
        { t: 1, v: 1 },
        { t: 1, v: 2 },
        { t: 1, v: 3 },
      ]),
    ).toBeUndefined();
    expect(
      linearFit([
        { t: 0, v: 1 },
        { t: 1, v: Number.NaN },
        { t: 2, v: 3 },
        { t: 3, v: 4 },
      ])!.n,
    ).toBe(3);
  });
});

describe('slopeTest', () => {
  const tolerance = { relative: 0.1, floor: 16 };

  it('calls a steady rise beyond the tolerance growth', () => {
    // 200 → 260 over 40 minutes with noise: 30 % of the level, significant.
    const r = slopeTest(
      line(61, (t) => 200 + 1.5 * Math.max(0, t - 20) + zigzag(2)(t)),
      tolerance,
      settings,
    );
    expect(r.verdict).toBe('grows');
    expect(r.growth).toBeCloseTo(60, 0);
    expect(r.allowed).toBeCloseTo(0.1 * r.fit!.mean, 6);
    expect(r.fit!.t0).toBe(20);
  });

  it('fits only the last window: an early warm-up rise followed by a plateau is steady', () => {
    const r = slopeTest(
      line(61, (t) => (t < 20 ? 100 + 5 * t : 200) + zigzag(3)(t)),
      tolerance,
      settings,
    );
    expect(r.verdict).toBe('steady');
    expect(r.fit!.t0).toBe(20);
  });

  it('calls a significant rise within the tolerance steady', () => {
    // +10 over 40 minutes on a level of ~400: 2.5 %, well inside 10 %.
    const r = slopeTest(
      line(61, (t) => 400 + 0.25 * t + zigzag(0.5)(t)),
      tolerance,
      settings,
    );
    expect(r.fit!.tStat).toBeGreaterThan(3);
    expect(r.verdict).toBe('steady');
  });

  it('calls a large but insignificant fitted growth steady (noise, not a trend)', () => {
    // Two spikes late in the window tilt the line, but the residuals dwarf it.
    const values = line(61, (t) => 50 + zigzag(40)(t) + (t === 57 || t === 58 ? 600 : 0));
    const r = slopeTest(values, { relative: 0.5, floor: 50 }, settings);
    expect(r.growth).toBeGreaterThan(r.allowed);
    expect(r.fit!.tStat).toBeLessThan(3);
    expect(r.verdict).toBe('steady');
  });

  it('uses the absolute floor for series near zero', () => {
    // A lag going from 0 to 8 messages: a huge relative growth, but below the floor of 50.
    const r = slopeTest(
      line(61, (t) => (t * 8) / 60),
      { relative: 0.25, floor: 50 },
      settings,
    );
    expect(r.allowed).toBe(50);
    expect(r.verdict).toBe('steady');
    const r2 = slopeTest(
      line(61, (t) => t * 4),
      { relative: 0.25, floor: 50 },
      settings,
    );
    expect(r2.verdict).toBe('grows');
  });

  it('never calls a falling series growth', () => {
    expect(
      slopeTest(
        line(61, (t) => 500 - 3 * t),
        tolerance,
        settings,
      ).verdict,
    ).toBe('steady');
  });

  it('gives no verdict with fewer points than minPoints in the window', () => {
    const r = slopeTest(
      line(4, (t) => t * 100),
      tolerance,
      settings,
    );
    expect(r.verdict).toBe('too few samples');
    expect(r.fit).toBeUndefined();
  });

  it('takes the window from the last sample, whatever the order of the points', () => {
    const pts = line(10, (t) => t).reverse();
    expect(lastWindow(pts, 3).map((p) => p.t)).toEqual([6, 7, 8, 9]);
    expect(lastWindow([], 3)).toEqual([]);
  });
});

describe('chart SVG', () => {
  const points = line(61, (t) => 150 + t);
  const svg = chartSvg({
    title: 'RSS of worker-1 <&>',
    unit: 'MiB',
    points,
    fit: { slope: 1, intercept: 150, t0: 20, t1: 60 },
    subtitle: 'grows: 40 MiB',
    alarm: true,
  });

  it('is one well-formed SVG document with the escaped title, the unit and an axis label', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title>RSS of worker-1 &lt;&amp;&gt;</title>');
    expect(svg).not.toContain('<&>');
    expect(svg).toContain('>MiB</text>');
    expect(svg).toContain('minutes since the start');
    expect(svg).toContain('grows: 40 MiB');
  });

  it('draws every point, the series path, the window and the fitted line in the alarm colour', () => {
    expect(svg.match(/<circle /g)).toHaveLength(points.length);
    expect(svg.match(/class="series" d="M[^"]+"/)![0].split('L')).toHaveLength(points.length);
    expect(svg).toContain('class="window"');
    const fit = /<line class="fit" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)" stroke="#c62828"/.exec(svg);
    expect(fit).not.toBeNull();
    // A rising line: its end is further right and higher up (smaller y) than its start.
    expect(Number(fit![3])).toBeGreaterThan(Number(fit![1]));
    expect(Number(fit![4])).toBeLessThan(Number(fit![2]));
  });

  it('places points inside the plot area', () => {
    for (const m of svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)) {
      expect(Number(m[1])).toBeGreaterThanOrEqual(72);
      expect(Number(m[1])).toBeLessThanOrEqual(700);
      expect(Number(m[2])).toBeGreaterThanOrEqual(52);
      expect(Number(m[2])).toBeLessThanOrEqual(312);
    }
  });

  it('says so when there are no samples, and skips non-finite values', () => {
    expect(chartSvg({ title: 't', unit: 'u', points: [] })).toContain('no samples');
    const partial = chartSvg({
      title: 't',
      unit: 'u',
      points: [
        { t: 0, v: 1 },
        { t: 1, v: Number.NaN },
        { t: 2, v: 3 },
      ],
    });
    expect(partial.match(/<circle /g)).toHaveLength(2);
    expect(partial).not.toContain('NaN');
  });
});

describe('chart ticks', () => {
  it('are round steps covering the range', () => {
    expect(niceTicks(0, 60, 6)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(niceTicks(0, 417, 5)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(0.01, 0.034, 4)).toEqual([0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(0.01, 0.034, 8)).toEqual([0.01, 0.015, 0.02, 0.025, 0.03, 0.035]);
  });

  it('widen a zero-height range', () => {
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
    expect(niceTicks(0, 0).length).toBeGreaterThan(1);
  });

  it('are labelled without float noise', () => {
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatTick(25_000)).toBe('25k');
    expect(formatTick(340)).toBe('340');
    expect(escapeXml(`a"b'c`)).toBe('a&quot;b&apos;c');
  });
});

describe('parseMix', () => {
  it('normalises the shares', () => {
    expect(parseMix('2,1,1')).toEqual({ pay: 0.5, cancel: 0.25, leave: 0.25 });
  });

  it('refuses anything but three non-negative shares', () => {
    expect(() => parseMix('1,1')).toThrow('--mix');
    expect(() => parseMix('1,-1,1')).toThrow('--mix');
    expect(() => parseMix('0,0,0')).toThrow('--mix');
  });
});
