/**
 * Adds items to a live scoring model (new catalog entries arrive between trainings): typed arrays
 * are reallocated, the new items have no graph edges yet and are reachable through their vector
 * and the popularity / catalog retrievers.
 */

import type { Csr } from '../model/csr.ts';
import type { ScoringModel } from '../model/scoring.ts';

export function growCsr(g: Csr, by: number): Csr {
  const offsets = new Int32Array(g.offsets.length + by);
  offsets.set(g.offsets);
  offsets.fill(g.offsets[g.offsets.length - 1]!, g.offsets.length);
  return { offsets, items: g.items, weights: g.weights };
}

function grow<T extends Float32Array | Uint8Array | Uint16Array>(a: T, n: number): T {
  const out = new (a.constructor as new (n: number) => T)(n);
  out.set(a);
  return out;
}

export interface NewItem {
  id: string;
  title: string;
  scenario: string;
  vector: Float32Array | undefined;
}

/** returns the dense indices of the added items */
export function appendItems(m: ScoringModel, items: readonly NewItem[]): number[] {
  const start = m.numItems;
  const n = start + items.length;
  m.graphs = {
    knn: growCsr(m.graphs.knn, items.length),
    trans: growCsr(m.graphs.trans, items.length),
    ease: growCsr(m.graphs.ease, items.length),
    ...(m.graphs.easeFused ? { easeFused: growCsr(m.graphs.easeFused, items.length) } : {}),
    // an item added since training has no attribute neighbours until the next training
    ...(m.graphs.attr ? { attr: growCsr(m.graphs.attr, items.length) } : {}),
    // the latent factors stay as trained: an item added since has none and scores 0 there
    ...(m.graphs.als ? { als: m.graphs.als } : {}),
    ...(m.graphs.alsFused ? { alsFused: m.graphs.alsFused } : {}),
    // the users' rows hold the items they had at training; an item added since is in none of them
    ...(m.graphs.users ? { users: m.graphs.users } : {}),
    counts: grow(m.graphs.counts, n),
    ...(m.graphs.crossCounts ? { crossCounts: grow(m.graphs.crossCounts, n) } : {}),
  };
  m.popularity = grow(m.popularity, n);
  if (m.popularityCross) m.popularityCross = grow(m.popularityCross, n);
  m.scenarioCode = grow(m.scenarioCode, n);
  m.hasVector = grow(m.hasVector, n);
  if (m.dim > 0) m.vectors = grow(m.vectors, n * m.dim);
  const out: number[] = [];
  items.forEach((it, k) => {
    const i = start + k;
    m.itemIds.push(it.id);
    m.titles.push(it.title);
    let code = m.scenarios.indexOf(it.scenario);
    if (code < 0) {
      code = m.scenarios.length;
      m.scenarios.push(it.scenario);
      m.scenarioItems.push(new Int32Array(0));
    }
    m.scenarioCode[i] = code;
    const list = m.scenarioItems[code]!;
    const next = new Int32Array(list.length + 1);
    next.set(list);
    next[list.length] = i;
    m.scenarioItems[code] = next;
    if (it.vector && m.dim > 0 && it.vector.length === m.dim) {
      m.vectors.set(it.vector, i * m.dim);
      m.hasVector[i] = 1;
    }
    out.push(i);
  });
  m.numItems = n;
  return out;
}
