/**
 * The k best of many scored items without sorting them all: a bounded min-heap, O(n log k).
 * Best first by score (NaN counts as -Infinity); equal scores by `tie` ascending (default: the
 * item itself, the order a full `sort((a, b) => s[b] - s[a] || a - b)` gives). `skip` leaves items
 * out. Once the heap is full, an item scoring below its worst (or NaN) is rejected by one
 * comparison, so most of a large catalogue costs one score each. The evaluation ranks whole
 * catalogues with it (src/eval/rank.ts), the ranker fit picks its pools and collaborative
 * retrieval its candidates.
 */
export function topK(
  /** item ids, or a count n for the ids 0..n-1 */
  items: ArrayLike<number> | number,
  k: number,
  score: (item: number) => number,
  opts: { tie?: (item: number) => number; skip?: (item: number) => boolean } = {},
): number[] {
  const n = typeof items === 'number' ? items : items.length;
  const at = typeof items === 'number' ? (c: number) => c : (c: number) => items[c]!;
  const tie = opts.tie ?? ((i: number) => i);
  const skip = opts.skip;
  const heap: number[] = [];
  const vals: number[] = [];
  // slot a ranks below slot b
  const worse = (a: number, b: number) =>
    vals[a]! < vals[b]! || (vals[a] === vals[b] && tie(heap[a]!) > tie(heap[b]!));
  const swap = (a: number, b: number) => {
    const h = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = h;
    const v = vals[a]!;
    vals[a] = vals[b]!;
    vals[b] = v;
  };
  const siftDown = (from: number) => {
    let p = from;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < heap.length && worse(l, m)) m = l;
      if (r < heap.length && worse(r, m)) m = r;
      if (m === p) return;
      swap(p, m);
      p = m;
    }
  };
  // the heap's worst score once it is full
  let floor = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < n && k > 0; c++) {
    const item = at(c);
    const raw = score(item);
    if (heap.length >= k && !(raw >= floor)) continue;
    if (skip?.(item)) continue;
    const s = Number.isNaN(raw) ? Number.NEGATIVE_INFINITY : raw;
    if (heap.length < k) {
      heap.push(item);
      vals.push(s);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) break;
        swap(i, p);
        i = p;
      }
      if (heap.length === k) floor = vals[0]!;
    } else if (s > vals[0]! || (s === vals[0] && tie(item) < tie(heap[0]!))) {
      heap[0] = item;
      vals[0] = s;
      siftDown(0);
      floor = vals[0]!;
    }
  }
  const order = heap.map((_, i) => i);
  order.sort((a, b) => vals[b]! - vals[a]! || tie(heap[a]!) - tie(heap[b]!));
  return order.map((i) => heap[i]!);
}
