/**
 * Catalog changes between trainings: upserted items join the live model (new rows, vectors,
 * indices), deleted ones stop being served. The store is written first; these apply the change
 * in memory.
 */
import type { Item } from '../core/types.ts';
import { loadItemVectors } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { ItemFacts } from '../rank/filter/facts.ts';
import type { Store } from '../store/types.ts';
import type { ContextLists } from './context-lists.ts';
import { appendItems } from './grow.ts';
import type { RankedCounts } from './lists.ts';
import type { LiveItems } from './live-items.ts';
import type { ProfileMemo } from './memo.ts';

export interface ItemTargets {
  model: ScoringModel;
  /** item id -> dense index, grown with the model */
  index: Map<string, number>;
  live: LiveItems;
  popular: RankedCounts;
  trending: RankedCounts;
  lists: ContextLists;
  memo: ProfileMemo;
  /** item attributes for filters (absent: an engine without them) */
  facts?: ItemFacts | undefined;
}

/** the stored vectors of the items under the encoder's id (none without an encoder or vectors) */
export async function storedVectors(
  store: Store,
  encoder: Encoder | undefined,
  model: ScoringModel,
  items: readonly Item[],
): Promise<Map<string, Float32Array>> {
  if (!encoder || model.dim === 0) return new Map();
  const got = await loadItemVectors(store, encoder.id, { ids: items.map((i) => i.id) });
  return new Map(got.ids.map((id, r) => [id, got.vectors.slice(r * got.dim, (r + 1) * got.dim)]));
}

/** the in-memory part of an item upsert (items and vectors already stored) */
export function applyItems(
  t: ItemTargets,
  items: readonly Item[],
  vectors: ReadonlyMap<string, Float32Array>,
): void {
  const m = t.model;
  const added = items.filter((it) => !t.index.has(it.id));
  const newIdx = appendItems(
    m,
    added.map((it) => ({ id: it.id, title: it.title, scenario: it.scenario, vector: vectors.get(it.id) })),
  );
  t.live.grow(m.numItems);
  added.forEach((it, k) => {
    t.index.set(it.id, newIdx[k]!);
  });
  for (const it of items) {
    const i = t.index.get(it.id)!;
    m.titles[i] = it.title;
    m.labels?.set(i, it);
    t.facts?.set(i, it);
    t.live.update(i, it.available !== false, vectors.get(it.id));
  }
  for (const it of items) t.lists.setCreated(t.index.get(it.id)!, it.createdAt);
  t.popular.invalidate();
  t.trending.invalidate();
  // vectors, availability or the indices changed: memoised text features and searches are stale
  t.memo.clear();
}

/** the in-memory part of deleting an item */
export function dropItem(t: Pick<ItemTargets, 'index' | 'live' | 'memo' | 'lists'>, id: string): void {
  const i = t.index.get(id);
  if (i === undefined) return;
  t.live.drop(i);
  t.lists.invalidate();
  // a fresh search now returns another item in its place
  t.memo.clear();
}
