// Small SVG charts for the operator console, drawn with the DOM alone (no library, nothing fetched): a line chart of
// one or more series over shared x labels, and a horizontal bar chart. Every point and bar carries a <title> with its
// figure, and each chart a role="img" label, so the numbers are there for a screen reader and on hover.
const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes. */
function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round upper bound for an axis: 1, 2, 5, 10, 20, 50, … at least `max`. */
function niceMax(max) {
  if (!(max > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * step).find((v) => v >= max);
}

/**
 * A line chart. `series`: [{ name, values: (number|null)[] }] (one value per label, null for a gap); `labels`: the x
 * values' texts; `title`: what the chart shows (its accessible name). The series get the classes s0, s1, … (colours
 * in console.css).
 * @example lineChart({ title: 'Orders placed', labels: ['12:00', '12:01'], series: [{ name: 'placed', values: [3, 5] }] })
 */
export function lineChart({ series, labels, title, width = 560, height = 180, unit = '' }) {
  const pad = { left: 40, right: 10, top: 10, bottom: 22 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  const top = niceMax(Math.max(0, ...all));
  const x = (i) => pad.left + (labels.length <= 1 ? w / 2 : (i * w) / (labels.length - 1));
  const y = (v) => pad.top + h - (v / top) * h;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart line-chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  for (const v of [0, top / 2, top]) {
    svg.append(el('line', { class: 'grid', x1: pad.left, x2: pad.left + w, y1: y(v), y2: y(v) }));
    svg.append(el('text', { class: 'axis', x: pad.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, `${+v.toFixed(2)}${unit}`));
  }
  if (labels.length > 0) {
    svg.append(el('text', { class: 'axis', x: x(0), y: height - 6, 'text-anchor': 'start' }, labels[0]));
    svg.append(el('text', { class: 'axis', x: x(labels.length - 1), y: height - 6, 'text-anchor': 'end' }, labels.at(-1)));
  }
  series.forEach((s, n) => {
    const group = el('g', { class: `series s${n}`, 'data-series': s.name });
    const points = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : [x(i), y(v), v, i])).filter(Boolean);
    group.append(el('polyline', { points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ') }));
    for (const [px, py, v, i] of points) {
      const dot = el('circle', { class: 'point', cx: px.toFixed(1), cy: py.toFixed(1), r: 2.5, 'data-value': v });
      dot.append(el('title', {}, `${s.name}, ${labels[i]}: ${v}${unit}`));
      group.append(dot);
    }
    svg.append(group);
  });
  return svg;
}

/**
 * A horizontal bar chart. `bars`: [{ label, value }]; `title`: its accessible name.
 * @example barChart({ title: 'Orders by status', bars: [{ label: 'Pending', value: 4 }] })
 */
export function barChart({ bars, title, width = 360 }) {
  const row = 24;
  const labelWidth = 130;
  const valueWidth = 60;
  const height = Math.max(row, bars.length * row);
  const top = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const w = width - labelWidth - valueWidth;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart bar-chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  bars.forEach((b, i) => {
    const yTop = i * row;
    svg.append(el('text', { class: 'label', x: labelWidth - 6, y: yTop + 16, 'text-anchor': 'end' }, b.label));
    const bar = el('rect', {
      class: 'bar s0',
      x: labelWidth,
      y: yTop + 4,
      width: Math.max(b.value > 0 ? 1 : 0, (b.value / top) * w).toFixed(1),
      height: row - 8,
      'data-value': b.value,
    });
    bar.append(el('title', {}, `${b.label}: ${b.value}`));
    svg.append(bar);
    svg.append(el('text', { class: 'value', x: labelWidth + w + 6, y: yTop + 16 }, String(b.value)));
  });
  return svg;
}

/** A legend for the series of a line chart, as an HTML list (colours by the same classes). */
export function legend(names) {
  const list = document.createElement('ul');
  list.className = 'legend';
  names.forEach((name, n) => {
    const item = document.createElement('li');
    item.className = `s${n}`;
    item.textContent = name;
    list.append(item);
  });
  return list;
}
