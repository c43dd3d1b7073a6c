// The console's drift and dead-letter sections, from GET /api/admin/drift, GET /api/admin/dead-letters and POST
// /api/admin/dead-letters/redrive (where one answers 404, e.g. against an older build, the section says "not
// available"). Each section is drawn again only when its answer changed, so an opened message or a focused link
// survives the polling; its Refresh button loads it at once. A redrive is always previewed first (dryRun: true, the
// entries it would take) and sent only when the operator confirms that preview, with the very same filter.
import { barChart } from './charts.js';
import { api, ApiError, formatTime, h, orderLinks, workflowUrl } from './ops-api.js';

const shown = new WeakMap();
/** Shows `render(data)` in `target` unless it shows that answer already, or why there is nothing to show. */
async function fill(target, path, render) {
  let content;
  let key;
  try {
    const data = await api(path);
    // The order links depend on where the Temporal UI is (known after the first overview) as well.
    key = JSON.stringify(data) + workflowUrl('');
    if (shown.get(target) === key) return;
    content = [render(data)].flat();
  } catch (err) {
    const text = err instanceof ApiError && err.status === 404 ? 'not available' : `could not load: ${err.message}`;
    key = `error: ${text}`;
    content = [h('p', { class: 'unavailable' }, text)];
  }
  shown.set(target, key);
  target.replaceChildren(...content);
}

/** "1 message", "2 messages". */
const count = (n, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`;

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
  const pass = lastPass
    ? `Last pass ${formatTime(lastPass.at)}, ${lastPass.mode} mode, ${Math.round(lastPass.durationMs)} ms`
    : 'No pass has run yet';
  const kinds = Object.entries(open ?? {});
  const rows = (items ?? []).map((i) =>
    h(
      'tr',
      { 'data-drift-id': i.id, 'data-action': i.action },
      h('td', {}, String(i.id)),
      h('td', {}, orderLinks(i.orderId)),
      h('td', {}, i.kind),
      h('td', { class: `action action-${i.action}` }, i.action),
      h('td', { class: 'detail' }, typeof i.detail === 'string' ? i.detail : JSON.stringify(i.detail)),
      h('td', {}, formatTime(i.foundAt)),
      // A drift left open is one row, seen again by every pass; a repair is a row of its own.
      h('td', {}, i.timesSeen > 1 ? `${formatTime(i.lastSeenAt)} (${i.timesSeen} passes)` : formatTime(i.lastSeenAt)),
      h('td', {}, formatTime(i.repairedAt)),
    ),
  );
  return [
    h('p', { class: 'drift-pass' }, pass),
    kinds.length
      ? barChart({ title: 'Open drift by kind', bars: kinds.map(([label, value]) => ({ label, value })) })
      : h('p', { class: 'ok' }, 'No open drift.'),
    table('Latest drift findings, newest first', ['id', 'order', 'kind', 'action', 'detail', 'found', 'last seen', 'repaired'], rows),
  ];
}

function renderDeadLetters(letters) {
  const rows = letters.map((d) =>
    h(
      'tr',
      { 'data-dead-letter-id': d.id },
      h('td', {}, String(d.id)),
      h('td', {}, d.topic),
      h('td', {}, h('code', {}, d.reasonCode), h('br'), h('span', { class: 'detail' }, d.reason)),
      h('td', {}, orderLinks(d.orderId)),
      h('td', {}, formatTime(d.firstFailedAt)),
      h('td', {}, formatTime(d.lastFailedAt)),
      h('td', {}, String(d.attempts)),
      h('td', { class: `state-${d.state}` }, d.state === 'redriven' ? `redriven ${formatTime(d.redrivenAt)}` : d.state),
      h(
        'td',
        {},
        h(
          'details',
          {},
          h('summary', { 'aria-label': `message of dead letter ${d.id}` }, 'message'),
          h('pre', {}, JSON.stringify(d.message, null, 2)),
        ),
      ),
    ),
  );
  const waiting = letters.filter((d) => d.state === 'dead').length;
  return table(
    `${count(letters.length, 'latest dead letter')}, newest first (${waiting} dead, ${letters.length - waiting} redriven)`,
    ['id', 'topic', 'reason', 'order', 'first failed', 'last failed', 'attempts', 'state', 'message'],
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
    if (!filter) return; // a second click on the same preview
    previewed = undefined;
    try {
      const result = await redrive({ ...filter, dryRun: false });
      const more = result.more ? ' More entries match: preview again for the next ones.' : '';
      say(h('p', { role: 'status' }, `${count(result.count, 'message')} redriven: ${result.ids.join(', ') || 'none'}.${more}`));
      await refresh();
    } catch (err) {
      say(h('p', { class: 'error', role: 'alert' }, `Redrive failed: ${err.message}`));
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const filter = filterOf(form);
      if (Object.keys(filter).length === 0) throw new Error('Choose a topic or a reason, or give order ids: a redrive needs a filter');
      const preview = await redrive({ ...filter, dryRun: true });
      previewed = filter;
      const more = preview.more ? ' (and more: one redrive sends at most this many)' : '';
      say(
        h(
          'p',
          { role: 'status', class: 'preview' },
          `${count(preview.count, 'message')} would be redriven: ${preview.ids.join(', ') || 'none'}${more}`,
        ),
        h(
          'button',
          { type: 'button', class: 'danger', disabled: preview.count === 0, onclick: confirm },
          `Redrive ${count(preview.count, 'message')}`,
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

/** Loads both sections on every call of the returned function, and one of them on its Refresh button. */
export function adminPanels() {
  const $ = (id) => document.getElementById(id);
  const refreshDrift = () => fill($('drift-body'), '/api/admin/drift?limit=50', renderDrift);
  const refreshLetters = () => fill($('dead-letters-body'), '/api/admin/dead-letters?limit=50', renderDeadLetters);
  redriveForm($('redrive'), $('redrive-outcome'), refreshLetters);
  $('drift-refresh').addEventListener('click', () => void refreshDrift());
  $('dead-letters-refresh').addEventListener('click', () => void refreshLetters());
  return () => Promise.all([refreshDrift(), refreshLetters()]);
}
