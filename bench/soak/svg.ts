// A line chart as a standalone SVG document (pure, no dependencies): one series over the minutes of a soak, its axes
// with ticks and labels, the slope test's window shaded and its fitted line drawn over it.
import type { Point } from './slope.ts';

export type ChartLine = { slope: number; intercept: number; t0: number; t1: number };

export type Chart = {
  title: string;
  /** Unit of the values, shown on the y axis. */
  unit: string;
  points: readonly Point[];
  /** The fitted line, drawn from t0 to t1 over a shaded window. */
  fit?: ChartLine;
  /** One line under the title (the verdict and its figures). */
  subtitle?: string;
  /** Colours the fitted line and the subtitle: red when the series grows. */
  alarm?: boolean;
  width?: number;
  height?: number;
};

/** Escapes text for an SVG text node or attribute. */
export const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** About `count` round tick values (1, 2 or 5 × a power of ten apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

/** A tick label: short, without float noise (1.2k, 0.05, 340). */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

const num = (v: number) => Number(v.toFixed(2));

export function chartSvg(chart: Chart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 360;
  const margin = { left: 72, right: 20, top: chart.subtitle ? 52 : 36, bottom: 48 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const pts = chart.points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  const ts = pts.map((p) => p.t);
  const vs = pts.map((p) => p.v);
  if (chart.fit) {
    vs.push(chart.fit.intercept + chart.fit.slope * chart.fit.t0, chart.fit.intercept + chart.fit.slope * chart.fit.t1);
  }
  const xTicks = niceTicks(Math.min(0, ...ts), Math.max(1, ...ts), 6);
  // Values start at zero when all are positive, so a flat series does not look steep.
  const yTicks = niceTicks(Math.min(0, ...(vs.length ? vs : [0])), Math.max(...(vs.length ? vs : [1]), 0), 5);
  const [xMin, xMax] = [xTicks[0] ?? 0, xTicks[xTicks.length - 1] ?? 1];
  const [yMin, yMax] = [yTicks[0] ?? 0, yTicks[yTicks.length - 1] ?? 1];
  const x = (t: number) => margin.left + ((t - xMin) / (xMax - xMin || 1)) * plotW;
  const y = (v: number) => margin.top + plotH - ((v - yMin) / (yMax - yMin || 1)) * plotH;
  const accent = chart.alarm ? '#c62828' : '#2e7d32';

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="20" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  if (chart.subtitle) out.push(`<text x="${margin.left}" y="38" fill="${accent}">${escapeXml(chart.subtitle)}</text>`);
  if (chart.fit) {
    const x0 = x(chart.fit.t0);
    out.push(
      `<rect class="window" x="${num(x0)}" y="${margin.top}" width="${num(x(chart.fit.t1) - x0)}" height="${plotH}" fill="#f1f3f8"/>`,
    );
  }
  // Grid and y axis.
  for (const v of yTicks) {
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#dddddd"/>`,
      `<text x="${margin.left - 6}" y="${num(y(v) + 4)}" text-anchor="end">${escapeXml(formatTick(v))}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#333333"/>`,
      `<text x="${num(x(t))}" y="${margin.top + plotH + 18}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`,
    );
  }
  out.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 8}" text-anchor="middle">minutes since the start</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.unit)}</text>`,
  );
  if (pts.length > 0) {
    const path = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(x(p.t))} ${num(y(p.v))}`).join(' ');
    out.push(`<path class="series" d="${path}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>`);
    for (const p of pts) out.push(`<circle cx="${num(x(p.t))}" cy="${num(y(p.v))}" r="2.5" fill="#1f5fa8"/>`);
  } else {
    out.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH / 2}" text-anchor="middle">no samples</text>`);
  }
  if (chart.fit) {
    const { slope, intercept, t0, t1 } = chart.fit;
    out.push(
      `<line class="fit" x1="${num(x(t0))}" y1="${num(y(intercept + slope * t0))}" x2="${num(x(t1))}" y2="${num(y(intercept + slope * t1))}" stroke="${accent}" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
