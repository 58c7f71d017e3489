/**
 * The item attribute graph: items of one scenario that share catalogue metadata (tags, category
 * path, string attributes, visual tags, audio descriptors), weighted by the cosine of their
 * IDF-weighted attribute sets. It needs no interaction, so it reaches items the co-occurrence
 * graphs have seen rarely or never, and it carries what a brand or a category says about the next
 * item where ids alone are thin.
 *
 * Items are the rows of a sparse item x token matrix X (token t weighs idf(t) = ln((n+1)/(df+1)),
 * rows L2-normalised); an item's neighbours are the items of its scenario with the largest X_a . X_b.
 * Tokens held by one item only say nothing about similarity and are dropped. Candidates come from
 * the token lists (each cut to its `postings` most engaged items, so a token shared by half the
 * catalogue does not make the build quadratic), and each candidate's similarity is then the exact
 * dot product over every token the two items share, accumulated token by token: through a token's
 * list where the list is short beside the candidates, else by looking the token up in each
 * candidate's row.
 */
import type { Csr } from './csr.ts';

export interface AttrOptions {
  /** neighbours kept per item (0 = no graph) */
  neighbours: number;
  /** items each token proposes as candidates, the most engaged first */
  postings: number;
}

const DEFAULT_ATTR: AttrOptions = { neighbours: 300, postings: 1000 };

/** a list entry costs about this fraction of a lookup in a candidate's row */
const LIST_OVER_LOOKUP = 4;

/**
 * The attribute graph of `tokens` (per item, as `attributeTokens` gives them); `engagement` orders
 * each token's candidates and breaks ties among equally similar neighbours (the more engaged
 * first). Undefined when no token is shared by two items of one scenario.
 */
export function buildAttrGraph(
  tokens: readonly (readonly string[])[],
  scenario: ArrayLike<string | number>,
  engagement: ArrayLike<number>,
  opts: AttrOptions = DEFAULT_ATTR,
  signal?: AbortSignal,
): Csr | undefined {
  const n = tokens.length;
  if (opts.neighbours <= 0 || n === 0) return undefined;
  const x = attrMatrix(tokens, scenario);
  if (!x) return undefined;
  return nearestRows(x, new Int32Array(n), 1, false, opts, engagement, signal);
}

/**
 * Each item's `opts.neighbours` most similar items (IDF-weighted cosine over the tokens they share,
 * ties to the more engaged) among those of its own group (`across` false) or of the other groups
 * (`across` true), `group[i]` in [0, groups). Candidates come from the posting list of each of the
 * item's tokens in each group it draws from, cut to `opts.postings` items; a candidate's cosine is
 * exact over every token it shares.
 */
export function nearestRows(
  x: AttrMatrix,
  group: Int32Array,
  groups: number,
  across: boolean,
  opts: AttrOptions,
  engagement: ArrayLike<number>,
  signal?: AbortSignal,
): Csr {
  const n = group.length;
  const { tokOf, wOf } = x;
  const G = groups;
  // each (token, group)'s items, the most engaged first (then by index), with the token's weight in
  // each: a token proposes its first `postings` items of a group as candidates
  const { postItems, postWeights } = postingLists(
    x,
    x.numTokens * G,
    (i, t) => t * G + group[i]!,
    engagement,
  );
  const drawn = (a: number, g: number) => (g === group[a]) !== across;
  const offsets = new Int32Array(n + 1);
  const outItems: number[] = [];
  const outWeights: number[] = [];
  const mark = new Int32Array(n).fill(-1);
  const acc = new Float64Array(n);
  const cand: number[] = [];
  const heap = new TopK(opts.neighbours, engagement);
  for (let a = 0; a < n; a++) {
    if (a % 2000 === 0) signal?.throwIfAborted();
    offsets[a] = outItems.length;
    const ta = tokOf[a]!;
    if (ta.length === 0) continue;
    cand.length = 0;
    mark[a] = a;
    for (const t of ta)
      for (let g = 0; g < G; g++) {
        if (!drawn(a, g)) continue;
        const items = postItems[t * G + g]!;
        const m = Math.min(items.length, opts.postings);
        for (let j = 0; j < m; j++) {
          const b = items[j]!;
          if (mark[b] !== a) {
            mark[b] = a;
            acc[b] = 0;
            cand.push(b);
          }
        }
      }
    // X_a . X_b over every token the two share, summed in token order as a sorted merge of the
    // two rows would: through the token's whole list where it is short beside the candidates,
    // else by looking the token up in each candidate's row (so a token most items hold costs the
    // candidates, not the catalogue)
    const wa = wOf[a]!;
    for (let k = 0; k < ta.length; k++) {
      const t = ta[k]!;
      const w = wa[k]!;
      for (let g = 0; g < G; g++) {
        if (!drawn(a, g)) continue;
        const items = postItems[t * G + g]!;
        if (items.length <= LIST_OVER_LOOKUP * cand.length) {
          const ws = postWeights[t * G + g]!;
          for (let j = 0; j < items.length; j++) {
            const b = items[j]!;
            if (mark[b] === a && b !== a) acc[b]! += w * ws[j]!;
          }
        } else
          for (const b of cand) {
            if (group[b] !== g) continue;
            const at = indexOfToken(tokOf[b]!, t);
            if (at >= 0) acc[b]! += w * wOf[b]![at]!;
          }
      }
    }
    heap.clear();
    for (const b of cand) heap.offer(b, acc[b]!);
    for (const [b, s] of heap.sorted()) {
      outItems.push(b);
      outWeights.push(s);
    }
  }
  offsets[n] = outItems.length;
  return { offsets, items: Int32Array.from(outItems), weights: Float32Array.from(outWeights) };
}

/**
 * The items of each posting list (`listOf(i, t)`: the list item i's token t belongs to), the most
 * engaged first (then by index), with the token's weight in each item's row
 */
function postingLists(
  x: AttrMatrix,
  numLists: number,
  listOf: (i: number, t: number) => number,
  engagement: ArrayLike<number>,
): { postItems: Int32Array[]; postWeights: Float32Array[] } {
  const { tokOf, wOf } = x;
  const lists: number[][] = Array.from({ length: numLists }, () => []);
  const tokenOf = new Int32Array(numLists);
  tokOf.forEach((row, i) => {
    for (const t of row) {
      const l = listOf(i, t);
      lists[l]!.push(i);
      tokenOf[l] = t;
    }
  });
  const postItems: Int32Array[] = [];
  const postWeights: Float32Array[] = [];
  for (const [l, list] of lists.entries()) {
    const p = list.sort((a, b) => engagement[b]! - engagement[a]! || a - b);
    postItems.push(Int32Array.from(p));
    postWeights.push(Float32Array.from(p, (b) => wOf[b]![indexOfToken(tokOf[b]!, tokenOf[l]!)]!));
  }
  return { postItems, postWeights };
}

/** the items' attribute rows: token ids (per scenario, sorted) and IDF weights, L2-normalised */
export interface AttrMatrix {
  tokOf: Int32Array[];
  wOf: Float32Array[];
  numTokens: number;
}

/**
 * The rows of X: each item's tokens keyed by its scenario, those held by one item dropped (they
 * say nothing about similarity), each weighing idf = ln((n+1)/(df+1)) over the items of its
 * scenario, the row L2-normalised. Undefined when no token is shared by two items of one scenario.
 */
export function attrMatrix(
  tokens: readonly (readonly string[])[],
  scenario: ArrayLike<string | number>,
): AttrMatrix | undefined {
  const n = tokens.length;
  const ids = new Map<string, number>();
  const rows: number[][] = [];
  const df: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (const t of tokens[i]!) {
      const key = `${scenario[i]}\u0001${t}`;
      let id = ids.get(key);
      if (id === undefined) {
        id = df.length;
        ids.set(key, id);
        df.push(0);
      }
      df[id]! += 1;
      row.push(id);
    }
    rows.push(row);
  }
  if (!df.some((c) => c > 1)) return undefined;
  const perScenario = new Map<string | number, number>();
  for (let i = 0; i < n; i++) perScenario.set(scenario[i]!, (perScenario.get(scenario[i]!) ?? 0) + 1);
  const tokOf: Int32Array[] = [];
  const wOf: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const kept = rows[i]!.filter((t) => df[t]! > 1).sort((a, b) => a - b);
    const items = perScenario.get(scenario[i]!)!;
    const w = kept.map((t) => Math.log((items + 1) / (df[t]! + 1)));
    const len = Math.hypot(...w);
    tokOf.push(Int32Array.from(kept));
    wOf.push(Float32Array.from(w, (v) => (len > 0 ? v / len : 0)));
  }
  return { tokOf, wOf, numTokens: df.length };
}

/**
 * The k best items by score (ties: the more engaged, then the lower index), kept in a binary
 * heap whose root is the worst kept; positive scores only.
 */
class TopK {
  private items: number[] = [];
  private scores: number[] = [];
  constructor(
    private readonly k: number,
    private readonly engagement: ArrayLike<number>,
  ) {}

  clear(): void {
    this.items.length = 0;
    this.scores.length = 0;
  }

  /** whether (i, si) ranks below (j, sj) */
  private worse(i: number, si: number, j: number, sj: number): boolean {
    if (si !== sj) return si < sj;
    const e = this.engagement;
    if (e[i] !== e[j]) return e[i]! < e[j]!;
    return i > j;
  }

  offer(item: number, score: number): void {
    if (!(score > 0)) return;
    const { items, scores } = this;
    if (items.length < this.k) {
      items.push(item);
      scores.push(score);
      let c = items.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.worse(items[c]!, scores[c]!, items[p]!, scores[p]!)) break;
        this.swap(c, p);
        c = p;
      }
      return;
    }
    if (!this.worse(items[0]!, scores[0]!, item, score)) return;
    items[0] = item;
    scores[0] = score;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < items.length && this.worse(items[l]!, scores[l]!, items[m]!, scores[m]!)) m = l;
      if (r < items.length && this.worse(items[r]!, scores[r]!, items[m]!, scores[m]!)) m = r;
      if (m === p) break;
      this.swap(p, m);
      p = m;
    }
  }

  private swap(a: number, b: number): void {
    const { items, scores } = this;
    [items[a], items[b]] = [items[b]!, items[a]!];
    [scores[a], scores[b]] = [scores[b]!, scores[a]!];
  }

  /** the kept items, best first */
  sorted(): [number, number][] {
    const e = this.engagement;
    const out = this.items.map((it, k) => [it, this.scores[k]!] as [number, number]);
    return out.sort((x, y) => y[1] - x[1] || e[y[0]]! - e[x[0]]! || x[0] - y[0]);
  }
}

/** where token `t` sits in a sorted row, or -1 */
function indexOfToken(row: Int32Array, t: number): number {
  let lo = 0;
  let hi = row.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = row[mid]!;
    if (v === t) return mid;
    if (v < t) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
