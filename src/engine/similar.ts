/**
 * Items like one item: its co-occurrence and transition neighbours, its nearest vectors in the
 * scenario's index, then the scenario's popular items to fill up.
 */
import { type ScoringModel, vectorOf } from '../model/scoring.ts';
import type { LiveItems } from './live-items.ts';
import type { Recommendation } from './types.ts';

export interface SimilarSources {
  model: ScoringModel;
  live: LiveItems;
  popular: (code: number) => readonly number[];
}

/** the `n` items most like `item` in the scenario `code`, best first */
export function similarItems(s: SimilarSources, item: number, n: number, code: number): Recommendation[] {
  const m = s.model;
  const score = new Map<number, { s: number; by: string }>();
  const { knn, trans } = m.graphs;
  for (const g of [knn, trans]) {
    let max = 0;
    for (let o = g.offsets[item]!; o < g.offsets[item + 1]!; o++) max = Math.max(max, g.weights[o]!);
    for (let o = g.offsets[item]!; o < g.offsets[item + 1]!; o++) {
      const j = g.items[o]!;
      const prev = score.get(j);
      score.set(j, { s: (prev?.s ?? 0) + (0.5 * g.weights[o]!) / (max || 1), by: 'collaborative' });
    }
  }
  const v = vectorOf(m, item);
  const index = s.live.index(code);
  if (v && index) {
    for (const h of index.search(v, n * 4 + 1)) {
      const prev = score.get(h.key);
      score.set(h.key, { s: (prev?.s ?? 0) + h.score, by: prev?.by ?? 'semantic' });
    }
  }
  const available = s.live.available;
  const ranked = [...score.entries()]
    .filter(([j]) => j !== item && m.scenarioCode[j] === code && available[j])
    .sort((a, b) => b[1].s - a[1].s || a[0] - b[0]);
  for (const j of s.popular(code)) {
    if (ranked.length >= n) break;
    if (j !== item && !score.has(j) && available[j]) ranked.push([j, { s: 0, by: 'popular' }]);
  }
  const itemId = m.itemIds[item]!;
  const source = m.titles[item] ?? '';
  return ranked.slice(0, n).map(([j, x]) => ({
    item: m.itemIds[j]!,
    title: m.titles[j] ?? '',
    scenario: m.scenarios[m.scenarioCode[j]!]!,
    score: x.s,
    reasons: {
      retriever: x.by,
      history: [
        { item: itemId, title: source, scenario: m.scenarios[m.scenarioCode[item]!]!, contribution: 1 },
      ],
      context: [],
    },
  }));
}
