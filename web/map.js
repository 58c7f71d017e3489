// The taste map and the interest list: SVG and list drawing from /v1 profile and map answers.
import { $, colour, el } from './dom.js';

function anchor(x) {
  return x > 470 ? 'end' : x < 130 ? 'start' : 'middle';
}

export function drawMap(map) {
  const svg = $('map');
  svg.replaceChildren();
  const points = [...map.items, ...map.interests];
  if (points.length === 0) {
    svg.append(el('text', { x: 300, y: 210, 'text-anchor': 'middle', text: 'no activity yet' }));
    return;
  }
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => 40 + ((x - x0) / (x1 - x0 || 1)) * 520;
  const sy = (y) => 380 - ((y - y0) / (y1 - y0 || 1)) * 340;
  const g = el('g');
  for (const it of map.items) {
    const negative = it.types.skip || it.types.dislike;
    g.append(
      el(
        'circle',
        {
          class: 'item',
          cx: sx(it.x).toFixed(1),
          cy: sy(it.y).toFixed(1),
          r: negative
            ? 3
            : 4 +
              Math.min(
                4,
                Object.values(it.types).reduce((a, b) => a + b, 0),
              ),
          fill: negative ? '#fff' : colour(it.scenario),
          stroke: colour(it.scenario),
          'data-scenario': it.scenario,
        },
        el('title', { text: `${it.title} (${it.scenario}: ${Object.keys(it.types).join(', ')})` }),
      ),
    );
  }
  const fused = map.interests.filter((i) => i.scope === 'fused');
  for (const c of fused.length ? fused : map.interests) {
    const x = sx(c.x);
    const y = sy(c.y);
    g.append(
      el(
        'circle',
        {
          class: 'interest',
          cx: x.toFixed(1),
          cy: y.toFixed(1),
          r: (10 + 22 * Math.sqrt(Math.max(0, c.weight))).toFixed(1),
          fill: colour(c.scenario),
          stroke: colour(c.scenario),
          'data-testid': 'interest-centre',
        },
        el('title', { text: `${c.label}: ${c.summary}` }),
      ),
      el('text', { x: x.toFixed(1), y: (y + 4).toFixed(1), 'text-anchor': anchor(x), text: c.label }),
    );
  }
  svg.append(g);
  const used = [...new Set(points.map((p) => p.scenario))];
  $('legend').replaceChildren(...used.map((s) => el('span', { style: `--c:${colour(s)}`, text: s })));
}

function mixBar(mix) {
  const bar = el('span', {
    class: 'mix',
    title: Object.entries(mix)
      .map(([s, v]) => `${s} ${(v * 100).toFixed(0)}%`)
      .join(', '),
  });
  for (const [s, v] of Object.entries(mix))
    bar.append(el('i', { style: `width:${(v * 100).toFixed(1)}%;background:${colour(s)}` }));
  return bar;
}

export function drawInterests(profile) {
  $('interests').replaceChildren(
    ...profile.fused.map((i) =>
      el(
        'li',
        {},
        el('strong', { text: i.label }),
        mixBar(i.scenarioMix),
        el('span', {
          class: 'why',
          text: i.summary,
          // a generated summary says which model wrote it
          title: i.summaryBy ? `written by ${i.summaryBy}` : "from the interest's items",
        }),
      ),
    ),
  );
}
