/**
 * A self-contained HTML report of one results file: tables plus inline SVG charts (no script, no
 * CDN, no fonts to fetch), so it opens offline and can be attached to an issue as one file.
 */
import { formatGain } from './compare.ts';
import type { EvalResult, GroupResult, ModelResult } from './schema.ts';

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(4));

function group(
  m: ModelResult,
  scenario: string,
  slice: string,
  ranking: 'full' | 'sampled',
): GroupResult | undefined {
  return m.groups.find((g) => g.scenario === scenario && g.slice === slice && g.ranking === ranking);
}

interface Series {
  name: string;
  values: number[];
}

/** Grouped vertical bars: one group per category, one bar per series. */
function barChart(title: string, categories: string[], series: Series[], yLabel: string): string {
  const W = 720;
  const H = 300;
  const left = 60;
  const bottom = 60;
  const top = 30;
  const plotH = H - top - bottom;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const groupW = (W - left - 20) / Math.max(1, categories.length);
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, series.length));
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const y = top + plotH - (plotH * t) / 4;
    parts.push(
      `<line x1="${left}" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${v.toFixed(3)}</text>`,
    );
  }
  categories.forEach((c, ci) => {
    const gx = left + ci * groupW + groupW * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const h = (plotH * (Number.isFinite(v) ? v : 0)) / max;
      const x = gx + si * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(s.name)} / ${esc(c)}: ${v.toFixed(4)}</title></rect>`,
      );
    });
    parts.push(
      `<text x="${(gx + (groupW * 0.8) / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle" font-size="12">${esc(c)}</text>`,
    );
  });
  parts.push(
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  );
  return svg(
    title,
    W,
    H,
    parts,
    series.map((s) => s.name),
  );
}

/** Lines through (x, y) points per series, labelled at each point. */
function lineChart(
  title: string,
  series: { name: string; points: { x: number; y: number; label: string }[] }[],
  xLabel: string,
  yLabel: string,
): string {
  const W = 720;
  const H = 340;
  const left = 60;
  const bottom = 70;
  const top = 30;
  const right = 20;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [0, Math.max(1e-9, ...ys)];
  const sx = (x: number) => left + ((x - x0) / Math.max(1e-9, x1 - x0)) * (W - left - right);
  const sy = (y: number) => top + (H - top - bottom) * (1 - (y - y0) / Math.max(1e-9, y1 - y0));
  const parts: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const yv = y0 + ((y1 - y0) * t) / 4;
    const xv = x0 + ((x1 - x0) * t) / 4;
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#ddd"/><text x="${left - 6}" y="${sy(yv) + 4}" text-anchor="end" font-size="11">${yv.toFixed(3)}</text>`,
      `<text x="${sx(xv)}" y="${H - bottom + 16}" text-anchor="middle" font-size="11">${xv.toFixed(3)}</text>`,
    );
  }
  series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) {
      parts.push(
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)} ${esc(p.label)}: ${xLabel} ${p.x.toFixed(4)}, ${yLabel} ${p.y.toFixed(4)}</title></circle>`,
      );
    }
  });
  parts.push(
    `<text x="${(left + W - right) / 2}" y="${H - bottom + 34}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text x="14" y="${top + (H - top - bottom) / 2}" transform="rotate(-90 14 ${top + (H - top - bottom) / 2})" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`,
  );
  return svg(
    title,
    W,
    H,
    parts,
    series.map((s) => s.name),
  );
}

function svg(title: string, W: number, H: number, parts: string[], legend: string[]): string {
  const items = legend
    .map(
      (n, i) =>
        `<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;width:10px;height:10px;background:${PALETTE[i % PALETTE.length]}"></span> ${esc(n)}</span>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">${parts.join('')}</svg><div class="legend">${items}</div></figure>`;
}

function metricsTable(
  models: ModelResult[],
  scenario: string,
  slice: string,
  ranking: 'full' | 'sampled',
): string {
  const rows = models
    .map((m) => ({ m, g: group(m, scenario, slice, ranking) }))
    .filter((r) => r.g !== undefined) as { m: ModelResult; g: GroupResult }[];
  if (rows.length === 0) return '<p>No cases.</p>';
  // with one target per case recall@K equals hr@K: show it only where it says something
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.g.metrics)))].filter(
    (n) =>
      !n.startsWith('recall@') ||
      rows.some((r) => r.g.metrics[n] !== r.g.metrics[n.replace('recall@', 'hr@')]),
  );
  const order = (n: string) => {
    const [m, k] = n.split('@');
    const rank = ['hr', 'recall', 'ndcg', 'mrr', 'coverage', 'ild', 'novelty'].indexOf(m!);
    return rank * 1000 + Number(k ?? 0);
  };
  names.sort((a, b) => order(a) - order(b));
  const best = Object.fromEntries(names.map((n) => [n, Math.max(...rows.map((r) => r.g.metrics[n] ?? -1))]));
  const head = `<tr><th>model</th><th>cases</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      ({ m, g }) =>
        `<tr><td>${esc(m.name)}</td><td>${g.cases}</td>${names
          .map((n) => {
            const v = g.metrics[n];
            const strong = v !== undefined && v === best[n] && !/^(coverage|ild|novelty)/.test(n);
            return `<td>${strong ? `<b>${fmt(v)}</b>` : fmt(v)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<table>${head}${body}</table>`;
}

export function renderReport(r: EvalResult): string {
  const ok = r.models.filter((m) => m.status === 'ok');
  const scenarios = ['all', ...(r.protocol.scenarios.length > 1 ? r.protocol.scenarios : [])];
  const slices = [...new Set(ok.flatMap((m) => m.groups.map((g) => g.slice)))];
  const sections: string[] = [];
  sections.push(
    barChart(
      'NDCG@10 and HR@10 per model (full ranking, all test cases)',
      ok.map((m) => m.name),
      [
        { name: 'NDCG@10', values: ok.map((m) => group(m, 'all', 'all', 'full')?.metrics['ndcg@10'] ?? 0) },
        { name: 'HR@10', values: ok.map((m) => group(m, 'all', 'all', 'full')?.metrics['hr@10'] ?? 0) },
      ],
      'metric',
    ),
  );
  sections.push('<h2>Full ranking, all test cases</h2>', metricsTable(ok, 'all', 'all', 'full'));
  if (scenarios.length > 1) {
    sections.push(
      '<h2>Per target scenario</h2>',
      barChart(
        'NDCG@10 per target scenario (full ranking within the scenario)',
        scenarios,
        ok.map((m) => ({
          name: m.name,
          values: scenarios.map((s) => group(m, s, 'all', 'full')?.metrics['ndcg@10'] ?? 0),
        })),
        'NDCG@10',
      ),
    );
    for (const s of scenarios.slice(1))
      sections.push(`<h3>${esc(s)}</h3>`, metricsTable(ok, s, 'all', 'full'));
  }
  if (r.protocol.sampledNegatives > 0) {
    sections.push(`<h2>Upstream protocol: target vs ${r.protocol.sampledNegatives} sampled negatives</h2>`);
    for (const s of scenarios) sections.push(`<h3>${esc(s)}</h3>`, metricsTable(ok, s, 'all', 'sampled'));
  }
  sections.push(
    '<h2>Slices</h2>',
    barChart(
      'NDCG@10 per slice (full ranking)',
      slices,
      ok.map((m) => ({
        name: m.name,
        values: slices.map((s) => group(m, 'all', s, 'full')?.metrics['ndcg@10'] ?? 0),
      })),
      'NDCG@10',
    ),
  );
  for (const s of slices.filter((x) => x !== 'all')) {
    sections.push(
      `<h3>${esc(s)}: ${esc(r.protocol.slices[s] ?? '')}</h3>`,
      metricsTable(ok, 'all', s, 'full'),
    );
    for (const sc of scenarios.slice(1))
      sections.push(`<h4>${esc(s)} / ${esc(sc)}</h4>`, metricsTable(ok, sc, s, 'full'));
  }
  if (r.comparisons && r.comparisons.length > 0) {
    const rows = r.comparisons
      .map(
        (c) =>
          `<tr><td>${esc(c.model)}</td><td>${esc(c.baseline)}</td><td>${esc(c.scenario)}</td><td>${esc(c.slice)}</td><td>${c.cases}</td><td>${fmt(c.modelValue)}</td><td>${fmt(c.baselineValue)}</td><td>${esc(formatGain(c))}</td></tr>`,
      )
      .join('');
    sections.push(
      '<h2>Paired comparisons</h2>',
      `<p>Relative ${esc(r.comparisons[0]!.metric)} gain of a model over a baseline on the same test cases (full ranking), with the 95 % interval of a seeded paired bootstrap over the cases (${r.comparisons[0]!.resamples} resamples). An interval that contains 0 % is no evidence of a difference.</p>`,
      `<table><tr><th>model</th><th>baseline</th><th>scenario</th><th>slice</th><th>cases</th><th>model</th><th>baseline</th><th>gain [95 % interval]</th></tr>${rows}</table>`,
    );
  }
  const curves = ok.filter((m) => m.diversityCurve.length > 0);
  sections.push('<h2>Accuracy and diversity</h2>');
  if (curves.length > 0) {
    sections.push(
      lineChart(
        "serving's MMR (src/rank/mmr.ts) over each model's top 100: NDCG@10 against intra-list diversity, one point per λ",
        curves.map((m) => ({
          name: m.name,
          points: m.diversityCurve.map((p) => ({ x: p['ild@10'], y: p['ndcg@10'], label: `λ=${p.lambda}` })),
        })),
        'ILD@10',
        'NDCG@10',
      ),
    );
  } else {
    sections.push('<p>No item vectors for this dataset, so no diversity curve.</p>');
  }
  const skipped = r.models.filter((m) => m.status === 'skipped');
  const params = r.models
    .map(
      (m) =>
        `<tr><td>${esc(m.name)}</td><td>${esc(m.status)}${m.reason ? `: ${esc(m.reason)}` : ''}</td><td><code>${esc(JSON.stringify(m.params))}</code></td><td>${(m.timings.fitMs / 1000).toFixed(1)} s</td><td>${(m.timings.evalMs / 1000).toFixed(1)} s</td><td>${m.timings.queriesPerSecond}</td></tr>`,
    )
    .join('');
  sections.push(
    '<h2>Models: tuned parameters and timings</h2>',
    `<table><tr><th>model</th><th>status</th><th>params (tuned on valid)</th><th>fit</th><th>eval</th><th>queries/s</th></tr>${params}</table>`,
  );
  if (skipped.length > 0)
    sections.push(`<p>Skipped: ${skipped.map((m) => esc(`${m.name} (${m.reason})`)).join(', ')}</p>`);
  const d = r.data;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fusionrec eval: ${esc(r.dataset)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:4px}
.legend{font-size:12px}code{font-size:12px}</style></head><body>
<h1>fusionrec offline evaluation: ${esc(r.dataset)}</h1>
<p><b>Protocol</b> ${esc(r.protocol.name)}: ${esc(r.protocol.description)}</p>
<p><b>Tuning</b>: ${esc(r.protocol.tuning)}</p>
<p><b>Data</b>: ${d.items} items, ${d.trainUsers} training users, ${d.trainInteractions} training interactions, ${d.validCases} valid cases (${d.tuneCases} used for tuning), ${d.testCases} test cases; item vectors: ${esc(d.itemVectors ?? 'none')}.</p>
<ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<p><b>Run</b>: seed ${r.run.seed}, max users ${r.run.maxUsers ?? 'all'}, config ${esc(r.run.configHash)}, ${esc(r.run.versions.fusionrec)} on Node ${esc(r.run.versions.node)}, ${esc(r.createdAt)}${r.run.interrupted ? ' (<b>interrupted</b>: partial results)' : ''}.<br><code>${esc(r.run.command)}</code></p>
${sections.join('\n')}
</body></html>
`;
}
