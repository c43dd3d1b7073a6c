// The console's drift and dead-letter sections. Their endpoints (GET /api/admin/drift, GET /api/admin/dead-letters,
// POST /api/admin/dead-letters/redrive) come with their own features; where one answers 404 the section says "not
// available". A redrive is always previewed first (dryRun: true, the messages it would take) and sent only when the
// operator confirms that preview, with the very same filter.
import { barChart } from './charts.js';
import { api, ApiError, formatTime, h, orderLinks } from './ops-api.js';

/** Shows `render(data)` in `target`, or why there is nothing to show. */
async function fill(target, path, render) {
  try {
    target.replaceChildren(...[render(await api(path))].flat());
  } catch (err) {
    const text = err instanceof ApiError && err.status === 404 ? 'not available' : `could not load: ${err.message}`;
    target.replaceChildren(h('p', { class: 'unavailable' }, text));
  }
}

const table = (caption, headings, rows) =>
  h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headings.length }, 'none'))),
  );

function renderDrift({ lastPass, open, items }) {
  const pass = lastPass ? `Last pass ${formatTime(lastPass.at)}, ${lastPass.mode} mode, ${lastPass.durationMs} ms` : 'No pass has run yet';
  const kinds = Object.entries(open ?? {});
  const rows = (items ?? []).map((i) =>
    h(
      'tr',
      { 'data-drift-id': i.id },
      h('td', {}, String(i.id)),
      h('td', {}, orderLinks(i.orderId)),
      h('td', {}, i.kind),
      h('td', { class: `action-${i.action}` }, i.action),
      h('td', {}, typeof i.detail === 'string' ? i.detail : JSON.stringify(i.detail)),
      h('td', {}, formatTime(i.foundAt)),
      h('td', {}, formatTime(i.repairedAt)),
    ),
  );
  return [
    h('p', { class: 'drift-pass' }, pass),
    kinds.length
      ? barChart({ title: 'Open drift by kind', bars: kinds.map(([label, value]) => ({ label, value })) })
      : h('p', {}, 'No open drift.'),
    table('Latest drift findings', ['id', 'order', 'kind', 'action', 'detail', 'found', 'repaired'], rows),
  ];
}

function renderDeadLetters(letters) {
  const rows = letters.map((d) =>
    h(
      'tr',
      { 'data-dead-letter-id': d.id },
      h('td', {}, String(d.id)),
      h('td', {}, d.topic),
      h('td', { title: d.reason }, d.reasonCode),
      h('td', {}, orderLinks(d.orderId)),
      h('td', {}, formatTime(d.firstFailedAt)),
      h('td', {}, formatTime(d.lastFailedAt)),
      h('td', {}, String(d.attempts)),
      h('td', {}, d.state === 'redriven' ? `redriven ${formatTime(d.redrivenAt)}` : d.state),
      h('td', {}, h('details', {}, h('summary', {}, 'message'), h('pre', {}, JSON.stringify(d.message, null, 2)))),
    ),
  );
  return table(
    `${letters.length} latest dead letters`,
    ['id', 'topic', 'reason', 'order', 'first failed', 'last failed', 'attempts', 'state', ''],
    rows,
  );
}

/** The filter the redrive form describes; throws a readable error for order ids that are not numbers. */
function filterOf(form) {
  const data = new FormData(form);
  const filter = {};
  for (const key of ['topic', 'reason']) if (String(data.get(key) ?? '').trim()) filter[key] = String(data.get(key)).trim();
  const ids = String(data.get('orderIds') ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (ids.some((id) => !/^\d+$/.test(id))) throw new Error('Order ids are numbers, separated by commas or spaces');
  if (ids.length) filter.orderIds = ids.map(Number);
  return filter;
}

/** The redrive form: preview (dry run), then confirm or cancel. */
function redriveForm(form, outcome, refresh) {
  let previewed;
  const say = (...nodes) => outcome.replaceChildren(...nodes);
  const redrive = (body) => api('/api/admin/dead-letters/redrive', { method: 'POST', body });
  const confirm = async () => {
    const filter = previewed;
    previewed = undefined;
    try {
      const result = await redrive({ ...filter, dryRun: false });
      say(h('p', { role: 'status' }, `${result.count} messages redriven: ${result.ids.join(', ') || 'none'}`));
      await refresh();
    } catch (err) {
      say(h('p', { class: 'error', role: 'alert' }, `Redrive failed: ${err.message}`));
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const filter = filterOf(form);
      const preview = await redrive({ ...filter, dryRun: true });
      previewed = filter;
      say(
        h('p', { role: 'status', class: 'preview' }, `${preview.count} messages would be redriven: ${preview.ids.join(', ') || 'none'}`),
        h(
          'button',
          { type: 'button', class: 'danger', disabled: preview.count === 0, onclick: confirm },
          `Redrive ${preview.count} messages`,
        ),
        ' ',
        h('button', { type: 'button', onclick: () => ((previewed = undefined), say()) }, 'Cancel'),
      );
    } catch (err) {
      const text = err instanceof ApiError && err.status === 404 ? 'Redrive is not available' : err.message;
      say(h('p', { class: 'error', role: 'alert' }, text));
    }
  });
}

/** Loads both sections now and on every call of the returned function. */
export function adminPanels() {
  const drift = document.getElementById('drift-body');
  const letters = document.getElementById('dead-letters-body');
  const refreshLetters = () => fill(letters, '/api/admin/dead-letters?limit=50', renderDeadLetters);
  redriveForm(document.getElementById('redrive'), document.getElementById('redrive-outcome'), refreshLetters);
  return () => Promise.all([fill(drift, '/api/admin/drift?limit=50', renderDrift), refreshLetters()]);
}
