// What the console's modules share: requests to the admin API with the session cookie (and X-CSRF-Token on every
// state-changing one), small DOM builders, number and time formats, and the links of an order (its timeline panel
// and its workflow in the Temporal Web UI).
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/** Thrown for any answer but 2xx; `status` says which (404: the endpoint does not exist in this build). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Listeners told when the session is over (401), so the page stops polling and says so. */
export const sessionEnded = new EventTarget();

/** JSON from the API; the cookie goes along by itself, the CSRF token as a header on anything but GET. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (res.status === 401) sessionEnded.dispatchEvent(new Event('ended'));
  if (!res.ok) throw new ApiError(res.status, json?.message ?? `${res.status} ${res.statusText}`);
  return json;
}

/** An HTML element with attributes and children (strings become text, never markup). */
export function h(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null));
  return node;
}

export const formatNumber = (n) => (Number.isFinite(n) ? n.toLocaleString('en') : '–');

/** Seconds as "42 s", "3 min 5 s", "2 h 10 min". */
export function formatSeconds(s) {
  if (!Number.isFinite(s)) return '–';
  const r = Math.round(s);
  if (r < 60) return `${r} s`;
  if (r < 3600) return `${Math.floor(r / 60)} min ${r % 60} s`;
  return `${Math.floor(r / 3600)} h ${Math.floor((r % 3600) / 60)} min`;
}

/** An ISO time as the browser's local time of day (with the date when not today). */
export function formatTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString('en-GB') : d.toLocaleString('en-GB');
}

/** Where the Temporal Web UI shows workflows; set from each overview. */
const temporal = { ui: '', namespace: 'default', prefix: 'order-' };
export function setTemporalLinks(links) {
  temporal.ui = links.temporalUi;
  temporal.namespace = links.namespace;
  temporal.prefix = links.workflowIdPrefix;
}

export const workflowUrl = (orderId) =>
  `${temporal.ui}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(temporal.prefix + orderId)}`;

/** Opens an order's timeline in the side panel (console.js provides it). */
export const timelineRequests = new EventTarget();

/** The order id with its two links: the timeline (a button opening the panel) and its workflow (a new tab). */
export function orderLinks(orderId) {
  if (orderId === null || orderId === undefined) return h('span', {}, '–');
  const open = () => timelineRequests.dispatchEvent(new CustomEvent('open', { detail: orderId }));
  return h(
    'span',
    { class: 'order-links' },
    h('button', { type: 'button', class: 'link timeline-link', 'aria-controls': 'timeline', onclick: open }, `#${orderId} timeline`),
    ' ',
    h('a', { class: 'workflow-link', href: workflowUrl(orderId), target: '_blank', rel: 'noopener noreferrer' }, 'workflow'),
  );
}
