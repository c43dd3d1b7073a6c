// The operator console's page script: polls GET /api/admin/overview every few seconds and draws it (admission,
// backlog figures with their recent history, orders by status and phase, rates per minute, recent orders), opens an
// order's timeline in a side panel, and refreshes the drift and dead-letter sections less often. The backlog history
// lives in this page only: it starts empty when the page opens.
import { barChart, legend, lineChart } from './charts.js';
import { adminPanels } from './admin-panels.js';
import {
  api,
  formatNumber,
  formatSeconds,
  formatTime,
  h,
  orderLinks,
  sessionEnded,
  setTemporalLinks,
  timelineRequests,
} from './ops-api.js';

const OVERVIEW_EVERY_MS = 3000;
const PANELS_EVERY_MS = 15_000;
/** Backlog samples kept per figure: 10 minutes at one poll every 3 s. */
const HISTORY = 200;

const $ = (id) => document.getElementById(id);

/** The backlog figures: where each is in the overview, its label, and how it is written. */
const FIGURES = [
  { key: 'outbox-pending', label: 'Unsent outbox events', part: 'outbox', field: 'pending', format: formatNumber },
  { key: 'outbox-age', label: 'Oldest unsent event', part: 'outbox', field: 'oldestAgeSeconds', format: formatSeconds, unit: ' s' },
  { key: 'bridge-lag', label: 'Bridge consumer lag', part: 'consumerLag', field: 'bridge', format: formatNumber },
  { key: 'notifier-lag', label: 'Notifier consumer lag', part: 'consumerLag', field: 'notifier', format: formatNumber },
  { key: 'task-backlog', label: 'Workflow tasks waiting', part: 'workflowTasks', field: 'backlog', format: formatNumber },
  { key: 'task-age', label: 'Oldest workflow task', part: 'workflowTasks', field: 'oldestAgeSeconds', format: formatSeconds, unit: ' s' },
  { key: 'pollers', label: 'Workers polling', part: 'workflowTasks', field: 'pollers', format: formatNumber },
];
const history = { times: [], values: Object.fromEntries(FIGURES.map((f) => [f.key, []])) };

function remember(backlog) {
  history.times.push(formatTime(backlog.measuredAt ?? new Date().toISOString()));
  for (const f of FIGURES) history.values[f.key].push(backlog[f.part]?.[f.field] ?? null);
  if (history.times.length > HISTORY) {
    history.times.shift();
    for (const f of FIGURES) history.values[f.key].shift();
  }
}

function renderBacklog(backlog) {
  remember(backlog);
  $('backlog-figures').replaceChildren(
    ...FIGURES.map((f) => {
      const part = backlog[f.part];
      const value = part?.error ? h('span', { class: 'error' }, `unknown: ${part.error}`) : f.format(part[f.field]);
      const series = [{ name: f.label, values: history.values[f.key] }];
      return h(
        'figure',
        { class: 'figure', 'data-figure': f.key },
        h('figcaption', {}, f.label),
        h('p', { class: 'value' }, value),
        lineChart({
          title: `${f.label}, since the page opened`,
          labels: history.times,
          series,
          width: 240,
          height: 80,
          unit: f.unit ?? '',
        }),
      );
    }),
  );
}

function renderAdmission(admission) {
  const state = admission.admitting
    ? h('p', { class: 'ok' }, 'Admitting new orders')
    : h(
        'div',
        {},
        h('p', { class: 'refusing' }, `Refusing new orders since ${formatTime(admission.since)}`),
        h(
          'ul',
          {},
          admission.reasons.map((r) => h('li', {}, r)),
        ),
      );
  const note = admission.enabled ? `checked ${formatTime(admission.checkedAt)}` : 'admission control is off (no ADMISSION_MAX_* limit)';
  $('admission-state').replaceChildren(state, h('p', { class: 'note' }, note));
}

function renderOrders({ byStatus, byPhase }) {
  const bars = (counts) => Object.entries(counts).map(([label, value]) => ({ label, value }));
  $('chart-status').replaceChildren(barChart({ title: 'Orders by status', bars: bars(byStatus) }));
  $('chart-phase').replaceChildren(barChart({ title: 'Orders by phase', bars: bars(byPhase) }));
}

function renderRates({ perMinute }) {
  const names = ['placed', 'completed', 'expired', 'cancelled'];
  const labels = perMinute.map((m) => formatTime(m.minute).slice(0, 5));
  const series = names.map((name) => ({ name, values: perMinute.map((m) => m[name]) }));
  $('chart-rates').replaceChildren(lineChart({ title: 'Orders per minute, last 15 minutes', labels, series }), legend(names));
}

let shownRecent = '';
function renderRecent(orders) {
  const key = JSON.stringify(orders);
  if (key === shownRecent) return; // unchanged: keep the rows (and the focus on them)
  shownRecent = key;
  const rows = orders.map((o) =>
    h(
      'tr',
      { 'data-order-id': o.id },
      h('td', {}, orderLinks(o.id)),
      h('td', {}, o.status),
      h('td', {}, o.phase),
      h('td', {}, formatTime(o.createdAt)),
      h('td', {}, formatTime(o.updatedAt)),
    ),
  );
  $('recent-orders').replaceChildren(
    ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 5 }, 'No open or recently finished orders'))]),
  );
}

async function refreshOverview() {
  const overview = await api('/api/admin/overview?limit=25');
  setTemporalLinks(overview.links);
  renderAdmission(overview.admission);
  renderBacklog(overview.backlog);
  renderOrders(overview.orders);
  renderRates(overview.rates);
  renderRecent(overview.recentOrders);
  $('status').textContent = `Updated ${formatTime(overview.generatedAt)}`;
}

async function openTimeline(orderId) {
  const panel = $('timeline');
  panel.hidden = false;
  $('timeline-order').textContent = `#${orderId}`;
  const list = $('timeline-entries');
  list.replaceChildren(h('li', {}, 'Loading…'));
  $('timeline-close').focus();
  try {
    const timeline = await api(`/api/order/${orderId}/timeline`);
    $('timeline-status').textContent = `Status: ${timeline.status}`;
    const missing = timeline.missing.map((m) => h('li', { class: 'error' }, `${m.part} unavailable: ${m.reason}`));
    list.replaceChildren(
      ...timeline.entries.map((e) =>
        h(
          'li',
          { class: `source-${e.source}` },
          h('time', { datetime: e.at }, formatTime(e.at)),
          ' ',
          h('strong', {}, e.event),
          ` (${e.source}) `,
          e.detail,
        ),
      ),
      ...missing,
    );
  } catch (err) {
    list.replaceChildren(h('li', { class: 'error' }, `Could not load the timeline: ${err.message}`));
  }
}

/** Runs `work` now and then every `ms` until the session ends; a failure is shown and the next round tries again. */
let ended = false;
function every(ms, work) {
  let timer;
  const round = async () => {
    try {
      await work();
    } catch (err) {
      if (!ended) $('status').textContent = `Update failed: ${err.message}; retrying`;
    }
    if (!ended) timer = setTimeout(round, ms);
  };
  sessionEnded.addEventListener('ended', () => clearTimeout(timer));
  void round();
}

sessionEnded.addEventListener('ended', () => {
  ended = true;
  $('status').replaceChildren('Your session has ended. ', h('a', { href: '/ops' }, 'Log in again'));
});
timelineRequests.addEventListener('open', (event) => void openTimeline(event.detail));
$('timeline-close').addEventListener('click', () => ($('timeline').hidden = true));
every(OVERVIEW_EVERY_MS, refreshOverview);
every(PANELS_EVERY_MS, adminPanels());
