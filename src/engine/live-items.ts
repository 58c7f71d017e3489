/**
 * The catalog as requests see it, kept current between trainings: which items may be served, one
 * vector index per scenario, and the item-item similarity MMR diversifies with.
 */
import { dotRows } from '../core/vec.ts';
import type { VectorIndexFactory } from '../index/create.ts';
import type { VectorIndex } from '../index/types.ts';
import { edgeWeight } from '../model/graph.ts';
import { type ScoringModel, vectorOf } from '../model/scoring.ts';

export class LiveItems {
  private readonly indices = new Map<number, VectorIndex>();
  private floor: number;

  constructor(
    private readonly m: ScoringModel,
    /** 1 where the item may be served, by dense index (replaced when the catalog grows) */
    public available: Uint8Array,
    private readonly newIndex: VectorIndexFactory,
    /** indices read back from the boot snapshot (boot-index.ts), used instead of building them */
    prebuilt?: ReadonlyMap<number, VectorIndex>,
  ) {
    m.scenarios.forEach((_, code) => {
      const saved = prebuilt?.get(code);
      if (saved) this.indices.set(code, saved);
      else this.buildIndex(code);
    });
    this.floor = this.similarityFloor();
  }

  /** the catalog as the context lists read it (context-lists.ts) */
  listSources() {
    const m = this.m;
    const { itemIds, titles, scenarios, scenarioCode, scenarioItems } = m;
    return { itemIds, titles, scenarios, scenarioCode, scenarioItems, available: this.available };
  }

  /** every scenario's vector index, by scenario code */
  get allIndices(): ReadonlyMap<number, VectorIndex> {
    return this.indices;
  }

  /** the items a scenario's index is built over: with a vector, available */
  indexedItems(code: number): number[] {
    const m = this.m;
    return Array.from(m.scenarioItems[code] ?? []).filter((i) => m.hasVector[i] && this.available[i]);
  }

  /** the scenario's vector index; undefined when it has no item vectors */
  index(code: number): VectorIndex | undefined {
    return this.indices.get(code);
  }

  private buildIndex(code: number): void {
    const m = this.m;
    if (m.dim === 0) return;
    const items = this.indexedItems(code);
    const index = this.newIndex(m.dim, items.length);
    const data = new Float32Array(items.length * m.dim);
    items.forEach((it, r) => {
      data.set(vectorOf(m, it)!, r * m.dim);
    });
    index.add(items, data);
    this.indices.set(code, index);
  }

  /** a lower bound of `similarity`, for MMR */
  get simFloor(): number {
    return this.floor;
  }

  /**
   * A lower bound of `similarity` for MMR: -(largest squared row norm), since |a.b| <= |a||b|
   * (rows are unit vectors, so about -1), with room for rounding; co-occurrence similarity is >= 0.
   */
  private similarityFloor(): number {
    const m = this.m;
    let max = 1;
    for (let i = 0; i < m.numItems; i++) if (m.hasVector[i]) max = Math.max(max, rowNormSq(vectorOf(m, i)!));
    return floorOf(max);
  }

  similarity(a: number, b: number): number {
    const m = this.m;
    if (m.hasVector[a] && m.hasVector[b]) {
      // the two rows read in place: MMR asks for hundreds of pairs per request
      return dotRows(m.vectors, a * m.dim, b * m.dim, m.dim);
    }
    return Math.min(1, edgeWeight(m.graphs.knn, a, b) * 5);
  }

  /** the model grew to `numItems` items: new ones are unavailable until `update` says otherwise */
  grow(numItems: number): void {
    const avail = new Uint8Array(numItems);
    avail.set(this.available);
    this.available = avail;
  }

  /** an item's availability or vector changed (vector already written into the model) */
  update(i: number, available: boolean, vector: Float32Array | undefined): void {
    const m = this.m;
    this.available[i] = available ? 1 : 0;
    if (vector && vector.length === m.dim) {
      m.vectors.set(vector, i * m.dim);
      m.hasVector[i] = 1;
      // the MMR floor follows the new row (a lower floor stays a valid bound): no catalog pass
      this.floor = Math.min(this.floor, floorOf(rowNormSq(vector)));
    }
    const code = m.scenarioCode[i]!;
    const index = this.indices.get(code);
    if (!index) this.buildIndex(code);
    else if (m.hasVector[i]) {
      if (this.available[i]) index.add([i], vectorOf(m, i)!.slice());
      else index.remove([i]);
    }
  }

  /** the item may no longer be served (deleted) */
  drop(i: number): void {
    this.available[i] = 0;
    this.indices.get(this.m.scenarioCode[i]!)?.remove([i]);
  }

  clear(): void {
    this.indices.clear();
  }
}

function rowNormSq(v: Float32Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d]! * v[d]!;
  return s;
}

/** the MMR similarity floor for rows of squared norm up to `maxNormSq`, with room for rounding */
function floorOf(maxNormSq: number): number {
  return -Math.max(1, maxNormSq) * (1 + 1e-6);
}
