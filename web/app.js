// fusionrec dashboard: plain ES modules, no build step, no CDN. Talks only to this server's /v1 API.
import { $, api, colour, el, showError, state, whileLoading } from './dom.js';
import { loadExperiments } from './experiments.js';
import { drawInterests, drawMap } from './map.js';

const ACTIONS = {
  view: { shop: 'view', music: 'play', video: 'view', news: 'click' },
  like: { shop: 'like', music: 'like', video: 'like', news: 'like' },
  skip: { shop: 'dislike', music: 'skip', video: 'skip', news: 'dislike' },
  buy: { shop: 'purchase', music: 'like', video: 'complete', news: 'share' },
};

function context() {
  const hour = Number($('hour').value);
  // the engine reads hour and weekday in UTC, as it does for event timestamps
  return { device: $('device').value, hour, weekday: new Date().getUTCDay() };
}

/** A user token (`fr1.<claims>.<mac>`, from POST /v1/tokens) names its one user; it may not list users. */
function tokenUser() {
  const key = $('api-key').value;
  if (!key.startsWith('fr1.')) return undefined;
  try {
    const bytes = Uint8Array.from(atob(key.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    );
    return JSON.parse(new TextDecoder().decode(bytes)).u;
  } catch {
    return undefined;
  }
}

async function loadUsers() {
  const own = tokenUser();
  const { users } = own ? { users: [{ id: own }] } : await api('/v1/users?limit=1000');
  const select = $('user');
  select.replaceChildren(
    ...users.map((u) => {
      const name = u.attributes?.name ? `${u.attributes.name} (${u.id})` : u.id;
      const tastes = u.attributes?.tastes ? ` · ${u.attributes.tastes}` : '';
      return el('option', { value: u.id, text: name + tastes });
    }),
  );
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('user');
  // (a user token reads its own user only: that one is shown whatever the address says)
  if (fromHash && !own && !users.some((u) => u.id === fromHash)) {
    // not on the first page of the list: ask for that user rather than show someone else
    try {
      const u = await api(`/v1/users/${encodeURIComponent(fromHash)}`);
      select.append(el('option', { value: u.id, text: u.id }));
    } catch (e) {
      if (e.status !== 404) throw e;
      select.prepend(el('option', { value: '', text: '— pick a user —', disabled: '' }));
      select.value = '';
      state.user = '';
      for (const id of ['recs', 'history', 'interests', 'map', 'legend']) $(id).replaceChildren();
      showError(`unknown user “${fromHash}”: pick one from the list`);
      return;
    }
  }
  if (fromHash && [...select.options].some((o) => o.value === fromHash)) select.value = fromHash;
  state.user = select.value;
}

/** labels near the map's edges grow inwards so they stay readable */
function reasonText(r) {
  const parts = [];
  if (r.interest) parts.push(`interest “${r.interest.label}”`);
  if (r.history?.length)
    parts.push(
      `because of ${r.history
        .slice(0, 2)
        .map((h) => `“${h.title}” (${h.scenario})`)
        .join(', ')}`,
    );
  const ctx = (r.context ?? []).filter((c) => Math.abs(c.effect) > 0.001);
  if (ctx.length)
    parts.push(
      ctx.map((c) => `${c.feature}=${c.value} ${c.effect > 0 ? '+' : ''}${c.effect.toFixed(3)}`).join(', '),
    );
  parts.push(`via ${r.retriever}`);
  if (r.sentence) parts.unshift(r.sentence);
  return parts.join(' · ');
}

async function loadRecommendations() {
  const ctx = context();
  const diversity = Number($('diversity').value);
  const results = await Promise.all(
    state.scenarios.map((s) =>
      api('/v1/recommend', {
        method: 'POST',
        body: JSON.stringify({ user: state.user, scenario: s.id, n: 6, context: ctx, diversity }),
      }),
    ),
  );
  const recs = $('recs');
  recs.replaceChildren();
  const itemOptions = [];
  results.forEach((res, k) => {
    const s = state.scenarios[k];
    const before = state.previous.get(s.id);
    const list = el('ol', {});
    for (const r of res.items) {
      const isNew = before && !before.has(r.item);
      list.append(
        el(
          'li',
          { class: isNew ? 'new' : '', 'data-item': r.item },
          el('span', { text: r.title || r.item }),
          ' ',
          el('span', { class: 'score', text: r.score.toFixed(3) }),
          el('span', { class: 'why', text: reasonText(r.reasons) }),
        ),
      );
      itemOptions.push(el('option', { value: `${s.id}|${r.item}`, text: `[${s.id}] ${r.title || r.item}` }));
    }
    state.previous.set(s.id, new Set(res.items.map((r) => r.item)));
    recs.append(
      el(
        'div',
        { 'data-scenario': s.id, style: `--c:${colour(s.id)}` },
        el('h3', { text: s.name || s.id }),
        list,
      ),
    );
  });
  const select = $('act-item');
  const kept = select.value;
  select.replaceChildren(...itemOptions);
  if ([...select.options].some((o) => o.value === kept)) select.value = kept;
}

async function loadProfileAndMap() {
  const enc = encodeURIComponent(state.user);
  const [profile, map, history] = await Promise.all([
    api(`/v1/users/${enc}/profile`),
    api(`/v1/users/${enc}/map`).catch((e) => ({ items: [], interests: [], error: e.message })),
    api(`/v1/users/${enc}/history?limit=15`),
  ]);
  drawInterests(profile);
  drawMap(map);
  $('history').replaceChildren(
    ...history.events.map((e) =>
      el('li', {
        'data-item': e.item,
        text: `${new Date(e.ts).toLocaleString()} · ${e.type} · [${e.scenario}] ${e.title || e.item}`,
      }),
    ),
  );
}

async function refresh({ resetDiff = false } = {}) {
  if (!state.user) return;
  if (resetDiff) state.previous.clear();
  await whileLoading(async () => {
    try {
      await Promise.all([loadRecommendations(), loadProfileAndMap()]);
      showError('');
    } catch (e) {
      showError(e.message);
    } finally {
      // tests and scripts wait on this refresh counter (and on body[data-loading])
      document.body.dataset.refreshes = String(++state.refreshes);
    }
  });
}

async function act(event) {
  event.preventDefault();
  const [scenario, item] = $('act-item').value.split('|');
  if (!item) return;
  const type = ACTIONS[$('act-type').value][scenario] ?? $('act-type').value;
  const ev = {
    id: `web-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    user: state.user,
    item,
    scenario,
    type,
    ts: Date.now(),
    context: { device: $('device').value },
  };
  try {
    const r = await api('/v1/events', { method: 'POST', body: JSON.stringify(ev) });
    $('act-status').textContent =
      `${type} on ${item}: recorded (${r.inserted} new). Highlighted items are new in the lists.`;
    await refresh();
  } catch (e) {
    showError(e.message);
  }
}

function fmt(n) {
  return typeof n === 'number' ? n.toLocaleString() : String(n ?? '');
}

function table(head, rows) {
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el('tr', {}, ...head.map((h) => el('th', { class: h.num ? 'num' : '', text: h.label ?? h }))),
    ),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el('tr', {}, ...r.map((c) => el('td', { class: typeof c === 'number' ? 'num' : '', text: fmt(c) }))),
      ),
    ),
  );
}

async function loadSystem() {
  await whileLoading(loadSystemTables);
}

async function loadSystemTables() {
  try {
    const s = await api('/v1/system');
    const c = s.counts;
    const box = $('system');
    box.replaceChildren(
      el('h3', { text: 'Counts' }),
      table(
        ['items', 'users', 'events', 'users in 2+ scenarios'].map((label) => ({ label, num: true })),
        [[c.items, c.users, c.events, c.multiScenarioUsers]],
      ),
      table(
        [
          'scenario',
          { label: 'items', num: true },
          { label: 'users', num: true },
          { label: 'events', num: true },
        ],
        c.scenarios.map((x) => [x.scenario, x.items, x.users, x.events]),
      ),
      el('h3', { text: 'Model versions' }),
      table(['component', 'version'], Object.entries(s.versions)),
      el('h3', {
        text: `Latency (ms, last requests per route; ${fmt(s.latency.requests)} requests in ${fmt(s.latency.uptimeS)} s)`,
      }),
      table(
        [
          'route',
          { label: 'count', num: true },
          { label: 'p50', num: true },
          { label: 'p95', num: true },
          { label: 'p99', num: true },
          { label: 'max', num: true },
        ],
        s.latency.routes.map((r) => [r.route, r.count, r.p50, r.p95, r.p99, r.max]),
      ),
      el('p', { class: 'hint', text: `RSS ${s.memory.rssMb} MB · Node ${s.node}` }),
    );
    showError('');
  } catch (e) {
    showError(e.message);
  }
}

function showPage(page) {
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.page === page);
  $('page-user').hidden = page !== 'user';
  $('page-system').hidden = page !== 'system';
  $('page-experiments').hidden = page !== 'experiments';
  if (page === 'system') void loadSystem();
  if (page === 'experiments') void loadExperiments();
}

async function start() {
  const saved = localStorage.getItem('fusionrec-key');
  if (saved) $('api-key').value = saved;
  $('api-key').addEventListener('change', () => {
    localStorage.setItem('fusionrec-key', $('api-key').value);
    void init();
  });
  $('hour').value = String(new Date().getUTCHours());
  const outputs = () => {
    $('hour-out').textContent = `${$('hour').value}:00`;
    $('diversity-out').textContent = Number($('diversity').value).toFixed(2);
  };
  outputs();
  for (const id of ['hour', 'diversity']) $(id).addEventListener('input', outputs);
  for (const id of ['hour', 'device', 'diversity'])
    $(id).addEventListener('change', () => refresh({ resetDiff: true }));
  $('user').addEventListener('change', () => {
    state.user = $('user').value;
    history.replaceState(null, '', `#user=${encodeURIComponent(state.user)}`);
    void refresh({ resetDiff: true });
  });
  $('act').addEventListener('submit', act);
  for (const b of document.querySelectorAll('.tab'))
    b.addEventListener('click', () => showPage(b.dataset.page));
  // a link or an edited address names another user
  window.addEventListener('hashchange', () => void init());
  await init();
}

async function init() {
  await whileLoading(async () => {
    try {
      state.scenarios = (await api('/v1/scenarios')).scenarios;
      await loadUsers();
      await refresh({ resetDiff: true });
    } catch (e) {
      showError(e.message);
    }
  });
}

void start();
