/**
 * Ranking metrics as pure functions of `(relevant, ranked, k)`. `ranked` is a model's list, best
 * first, without duplicates; `relevant` is the set of held-out items. Nothing here knows about
 * models, datasets or I/O.
 */

/** Hit ratio: 1 when at least one relevant item is in the top k. */
export function hitRate(relevant: ReadonlySet<number>, ranked: readonly number[], k: number): number {
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) return 1;
  return 0;
}

/** Share of the relevant items found in the top k (equals the hit ratio for one target). */
export function recall(relevant: ReadonlySet<number>, ranked: readonly number[], k: number): number {
  if (relevant.size === 0) return 0;
  const n = Math.min(k, ranked.length);
  let hits = 0;
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) hits++;
  return hits / relevant.size;
}

/** Share of the top k that is relevant. */
export function precision(relevant: ReadonlySet<number>, ranked: readonly number[], k: number): number {
  if (k <= 0) return 0;
  const n = Math.min(k, ranked.length);
  let hits = 0;
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) hits++;
  return hits / k;
}

/** Binary-relevance NDCG@k: DCG of the list over the DCG of an ideal list of min(|relevant|, k) hits. */
export function ndcg(relevant: ReadonlySet<number>, ranked: readonly number[], k: number): number {
  if (relevant.size === 0) return 0;
  const n = Math.min(k, ranked.length);
  let dcg = 0;
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  const ideal = Math.min(relevant.size, k);
  for (let i = 0; i < ideal; i++) idcg += 1 / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Reciprocal rank of the first relevant item within the top k (0 when none is there). */
export function mrr(
  relevant: ReadonlySet<number>,
  ranked: readonly number[],
  k: number = ranked.length,
): number {
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i]!)) return 1 / (i + 1);
  return 0;
}

/** Share of the catalogue (size `numItems`) that appears in at least one top-k list. */
export function coverage(lists: readonly (readonly number[])[], k: number, numItems: number): number {
  if (numItems <= 0) return 0;
  const seen = new Set<number>();
  for (const list of lists) for (let i = 0; i < Math.min(k, list.length); i++) seen.add(list[i]!);
  return seen.size / numItems;
}

/** Cosine of two vectors stored in a flat array of `dim`-sized rows. */
export function rowCosine(vectors: Float32Array, dim: number, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let d = 0; d < dim; d++) {
    const x = vectors[oa + d]!;
    const y = vectors[ob + d]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Intra-list diversity: 1 - mean pairwise cosine of the top k items' vectors (0 for fewer than 2). */
export function intraListDiversity(
  ranked: readonly number[],
  k: number,
  vectors: Float32Array,
  dim: number,
): number {
  const n = Math.min(k, ranked.length);
  if (n < 2) return 0;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      sum += rowCosine(vectors, dim, ranked[i]!, ranked[j]!);
      pairs++;
    }
  }
  return 1 - sum / pairs;
}

/**
 * Novelty: mean self-information -log2 p(i) of the top k, where p(i) is the share of training
 * users who interacted with i. Items never seen in training count as seen once (add-one smoothing).
 */
export function novelty(
  ranked: readonly number[],
  k: number,
  userCounts: ArrayLike<number>,
  numUsers: number,
): number {
  const n = Math.min(k, ranked.length);
  if (n === 0 || numUsers <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = Math.max(1, userCounts[ranked[i]!] ?? 0);
    sum += -Math.log2(Math.min(1, c / numUsers));
  }
  return sum / n;
}
