/**
 * The k best of many scored items without sorting them all: a bounded heap over typed arrays,
 * O(n log k) and no object per item. Best first; equal scores keep the smaller id first, the
 * order a full `sort((a, b) => b.s - a.s || a.item - b.item)` gives.
 */
export function topK(items: Iterable<number>, k: number, score: (item: number) => number): number[] {
  if (k <= 0) return [];
  const ids = new Int32Array(k);
  const vals = new Float64Array(k);
  let size = 0;
  // worse(a, b): slot a ranks below slot b (the heap keeps its worst at the root)
  const worse = (a: number, b: number) => vals[a]! < vals[b]! || (vals[a] === vals[b] && ids[a]! > ids[b]!);
  const swap = (a: number, b: number) => {
    const i = ids[a]!;
    ids[a] = ids[b]!;
    ids[b] = i;
    const v = vals[a]!;
    vals[a] = vals[b]!;
    vals[b] = v;
  };
  const down = (from: number) => {
    let p = from;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === p) return;
      swap(p, m);
      p = m;
    }
  };
  for (const item of items) {
    const s = score(item);
    if (Number.isNaN(s)) continue;
    if (size < k) {
      ids[size] = item;
      vals[size] = s;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        swap(c, p);
        c = p;
      }
    } else if (s > vals[0]! || (s === vals[0] && item < ids[0]!)) {
      ids[0] = item;
      vals[0] = s;
      down(0);
    }
  }
  const order = Array.from({ length: size }, (_, i) => i);
  order.sort((a, b) => vals[b]! - vals[a]! || ids[a]! - ids[b]!);
  return order.map((i) => ids[i]!);
}
