// The soak's growth test (pure): a least-squares line through a series' samples over the last minutes of the run, and
// the verdict "grows" only when the fitted growth over that window is both large (beyond a tolerance relative to the
// series' level, with an absolute floor for series that sit near zero) and significant (the slope's t statistic at
// least `minT`). Either condition alone misleads: a real but tiny drift (a cache filling up) is not a leak, and a
// noisy series on a shared machine (p99 latencies) gives a steep line by chance.

export type Point = { /** minutes since the start of the run */ t: number; v: number };

export type Fit = {
  n: number;
  slope: number;
  intercept: number;
  /** Mean of the values in the window: the series' level. */
  mean: number;
  /** slope ÷ its standard error; ±Infinity for a perfect non-flat line, 0 for a flat one. */
  tStat: number;
  /** First and last t of the points fitted. */
  t0: number;
  t1: number;
};

/** Ordinary least squares of v on t; undefined with fewer than 3 points or all at one t. */
export function linearFit(points: readonly Point[]): Fit | undefined {
  const pts = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  const n = pts.length;
  if (n < 3) return undefined;
  const meanT = pts.reduce((s, p) => s + p.t, 0) / n;
  const mean = pts.reduce((s, p) => s + p.v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of pts) {
    sxx += (p.t - meanT) ** 2;
    sxy += (p.t - meanT) * (p.v - mean);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const intercept = mean - slope * meanT;
  const sse = pts.reduce((s, p) => s + (p.v - (intercept + slope * p.t)) ** 2, 0);
  // Relative to the data's scale, so floating-point dust on a perfect line does not count as noise.
  const scale = pts.reduce((s, p) => s + p.v * p.v, 0);
  const standardError = Math.sqrt(sse / (n - 2) / sxx);
  const tStat = sse <= 1e-18 * Math.max(1, scale) ? (slope === 0 ? 0 : slope > 0 ? Infinity : -Infinity) : slope / standardError;
  return { n, slope, intercept, mean, tStat, t0: pts[0]!.t, t1: pts[n - 1]!.t };
}

export type Tolerance = {
  /** Allowed growth over the window as a fraction of the series' level (0.1: 10 %). */
  relative: number;
  /** Allowed growth in the series' own unit regardless of level (for series near zero: lags, backlogs). */
  floor: number;
};

export type SlopeSettings = {
  /** Fit the points of the last `windowMin` minutes (t ≥ last t − windowMin). */
  windowMin: number;
  /** Smallest t statistic that counts as a trend. */
  minT: number;
  /** Fewer points in the window than this: no verdict. */
  minPoints: number;
};

export type Verdict = 'steady' | 'grows' | 'too few samples';

export type SlopeResult = {
  verdict: Verdict;
  fit?: Fit;
  /** Fitted growth over the window: slope × (t1 − t0), in the series' unit. */
  growth: number;
  /** The growth the tolerance allows: max(relative × |level|, floor). */
  allowed: number;
  windowMin: number;
};

/** The points of the last `windowMin` minutes of `points` (sorted by t). */
export function lastWindow(points: readonly Point[], windowMin: number): Point[] {
  const sorted = [...points].filter((p) => Number.isFinite(p.v)).sort((a, b) => a.t - b.t);
  if (sorted.length === 0) return [];
  const end = sorted[sorted.length - 1]!.t;
  return sorted.filter((p) => p.t >= end - windowMin - 1e-9);
}

export function slopeTest(points: readonly Point[], tolerance: Tolerance, settings: SlopeSettings): SlopeResult {
  const window = lastWindow(points, settings.windowMin);
  const fit = window.length >= settings.minPoints ? linearFit(window) : undefined;
  if (!fit) return { verdict: 'too few samples', growth: Number.NaN, allowed: Number.NaN, windowMin: settings.windowMin };
  const growth = fit.slope * (fit.t1 - fit.t0);
  const allowed = Math.max(tolerance.relative * Math.abs(fit.mean), tolerance.floor);
  const grows = growth > allowed && fit.tStat >= settings.minT;
  return { verdict: grows ? 'grows' : 'steady', fit, growth, allowed, windowMin: settings.windowMin };
}
