// The Experiments page: every experiment, and per variant its lists, clicks, conversions,
// click-through and conversion with 95 % intervals, the difference against the control with its
// interval, and a verdict only when that interval excludes 0. Reads GET /v1/experiments and
// GET /v1/experiments/:id (a read or admin key); it changes nothing.
import { $, api, el, showError, whileLoading } from './dom.js';

/** a rate or difference as the page shows it (the browser test formats the API's numbers the same way) */
const pct = (x) => `${(100 * x).toFixed(2)} %`;
const interval = (r) => `${pct(r.low)} … ${pct(r.high)}`;

/** "B better", "A better" or "no verdict yet", from a verdict on B against A */
function verdictText(verdict, a, b) {
  if (verdict === 'better') return `${b} better`;
  if (verdict === 'worse') return `${a} better`;
  return 'no verdict yet';
}

function verdictCell(verdict, a, b) {
  return el('td', { class: `verdict ${verdict}`, 'data-field': 'verdict', text: verdictText(verdict, a, b) });
}

const cell = (field, text, num = true) => el('td', { class: num ? 'num' : '', 'data-field': field, text });

function variantRows(s) {
  const control = s.variants[0]?.variant;
  return s.variants.map((v) => {
    const d = v.vsControl;
    return el(
      'tr',
      { 'data-variant': v.variant },
      cell('variant', v.variant, false),
      cell('impressions', String(v.impressions)),
      cell('users', String(v.users)),
      cell('clicked', String(v.clicked)),
      cell('clickThrough', pct(v.clickThrough.rate)),
      cell('clickThroughInterval', interval(v.clickThrough)),
      cell('converted', String(v.converted)),
      cell('conversion', pct(v.conversion.rate)),
      cell('conversionInterval', interval(v.conversion)),
      cell('clickThroughDiff', d ? `${pct(d.clickThrough.diff)} (${interval(d.clickThrough)})` : '—'),
      d
        ? verdictCell(d.clickThrough.verdict, control, v.variant)
        : cell('verdict', s.kind === 'ab' ? 'control' : '—', false),
      cell('conversionDiff', d ? `${pct(d.conversion.diff)} (${interval(d.conversion)})` : '—'),
      d ? verdictCell(d.conversion.verdict, control, v.variant) : cell('conversionVerdict', '—', false),
    );
  });
}

const HEAD = [
  'variant',
  'lists',
  'users',
  'clicked lists',
  'click-through',
  '95 % interval',
  'converted lists',
  'conversion',
  '95 % interval',
  'click-through vs control (95 %)',
  'verdict',
  'conversion vs control (95 %)',
  'verdict',
];

function statusSection(e, s) {
  const [a, b] = s.variants.map((v) => v.variant);
  const parts = [
    el('h3', { text: `${e.id} · ${e.scenario} · ${e.kind === 'ab' ? 'A/B' : 'interleaving'} · ${e.status}` }),
  ];
  if (e.description) parts.push(el('p', { class: 'hint', text: e.description }));
  parts.push(
    el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        { 'data-testid': 'experiment-variants' },
        el(
          'thead',
          {},
          el('tr', {}, ...HEAD.map((h, i) => el('th', { class: i > 0 && i < 9 ? 'num' : '', text: h }))),
        ),
        el('tbody', {}, ...variantRows(s)),
      ),
    ),
  );
  const il = s.interleaving;
  if (il) {
    const p = il.preference;
    parts.push(
      el(
        'p',
        { 'data-testid': 'experiment-interleaving' },
        el('span', {
          'data-field': 'preference',
          text: `${il.impressions} interleaved lists; won by ${a}: ${il.wins[a]}, by ${b}: ${il.wins[b]}, ties: ${il.ties}. Preference for ${b}: ${p.diff.toFixed(4)} (95 % ${p.low.toFixed(4)} … ${p.high.toFixed(4)}) `,
        }),
        el('strong', {
          class: `verdict ${p.verdict}`,
          'data-field': 'verdict',
          text: verdictText(p.verdict, a, b),
        }),
      ),
    );
  }
  parts.push(
    el('p', {
      class: 'hint',
      text: `unit: the served list · ${s.attributions} credited events · impressions dropped by a full log queue: ${s.log?.dropped ?? 0}`,
    }),
  );
  return el('section', { class: 'experiment', 'data-experiment': e.id }, ...parts);
}

async function loadExperimentTables() {
  const box = $('experiments');
  try {
    const { experiments } = await api('/v1/experiments');
    if (experiments.length === 0) {
      box.replaceChildren(
        el('p', {
          class: 'hint',
          text: 'No experiments yet: fusionrec experiment create (docs/experiments.md).',
        }),
      );
      showError('');
      return;
    }
    const statuses = await Promise.all(
      experiments.map((e) => api(`/v1/experiments/${encodeURIComponent(e.id)}`)),
    );
    // running first, then newest
    const order = experiments
      .map((e, i) => ({ e, s: statuses[i] }))
      .sort((x, y) =>
        x.e.status === y.e.status ? y.e.createdAt - x.e.createdAt : x.e.status === 'running' ? -1 : 1,
      );
    box.replaceChildren(...order.map(({ e, s }) => statusSection(e, s)));
    showError('');
  } catch (e) {
    box.replaceChildren();
    // a user token or no key where the server needs one: say what the page needs
    showError(
      e.status === 401 || e.status === 403
        ? `the Experiments page needs a read or admin key: ${e.message}`
        : e.message,
    );
  }
}

export async function loadExperiments() {
  await whileLoading(loadExperimentTables);
}
