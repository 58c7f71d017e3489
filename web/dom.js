// Dashboard helpers shared by its modules: state, colours, DOM building and the API client.
export const COLOURS = { shop: '#e4572e', music: '#17a3a0', video: '#d9a400', news: '#5a9a2a' };
export const EXTRA = ['#7b4fd6', '#d6407b', '#3b7dd8', '#8a6d3b'];

export const $ = (id) => document.getElementById(id);
export const state = { scenarios: [], user: '', previous: new Map(), loading: 0, refreshes: 0 };

export function colour(scenario) {
  if (COLOURS[scenario]) return COLOURS[scenario];
  const i = state.scenarios.findIndex((s) => s.id === scenario);
  return EXTRA[Math.max(i, 0) % EXTRA.length];
}

export function el(tag, attrs = {}, ...children) {
  const ns = ['svg', 'circle', 'text', 'line', 'g', 'title'].includes(tag)
    ? 'http://www.w3.org/2000/svg'
    : null;
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/**
 * Runs `fn` with the loading indicator shown (nested calls keep it up until the last ends);
 * `body[data-loading]` is 'true' meanwhile and 'false' once idle, for tests and scripts to wait on.
 */
export async function whileLoading(fn) {
  if (state.loading++ === 0) {
    document.body.dataset.loading = 'true';
    $('loading').hidden = false;
  }
  try {
    return await fn();
  } finally {
    if (--state.loading === 0) {
      document.body.dataset.loading = 'false';
      $('loading').hidden = true;
    }
  }
}

export function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

export async function api(path, init = {}) {
  const key = $('api-key').value || localStorage.getItem('fusionrec-key') || '';
  const headers = {
    ...(init.body ? { 'content-type': 'application/json' } : {}),
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  };
  const res = await fetch(path, { ...init, headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = body.error ?? { code: String(res.status), message: res.statusText };
    throw Object.assign(new Error(`${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message}`), {
      code: e.code,
      status: res.status,
    });
  }
  return body;
}
