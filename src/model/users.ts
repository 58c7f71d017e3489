/**
 * Users like the request's user, across scenarios (user-based collaborative filtering over the
 * users active in several scenarios). The training users whose histories span two or more
 * scenarios are kept as rows of their distinct items. A request with history outside the target
 * scenario is matched against them on those entries alone: a kept user's similarity is the summed
 * IDF of the items both hold outside the target scenario, over the square root of one plus the
 * kept user's own count of items outside it; the `neighbours` most similar users holding an item of
 * the target scenario then score each of their target-scenario items by the summed similarity of
 * those holding it. Item-item evidence (`knnCross`, `easeFused`) links one history item to one
 * candidate at a time; this matches the whole profile at once, which is what a user new to a
 * scenario has to offer (measured in docs/results.md, "Users like you across scenarios").
 *
 * The rows are training users' item sets, no user ids: an erasure removes one row equal to the
 * erased user's training items (rows with the same items are interchangeable).
 */
import type { Csr } from './csr.ts';

export interface CrossUsers {
  /** one row per kept user: their distinct items, ascending (weights unused, 1) */
  rows: Csr;
  /** most similar users whose target-scenario items are scored */
  neighbours: number;
  /**
   * per row, a 32-bit hash of the user's key (`userKeyHash`; 0 = unknown): a request is never
   * matched with its own user's row. Absent: no row is known.
   */
  keys?: Uint32Array | undefined;
}

/** most training users kept (an even stride beyond) */
const MAX_KEPT = 100_000;

/** FNV-1a of a user key, never 0 (0 marks a row whose user is unknown) */
export function userKeyHash(user: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < user.length; k++) {
    h ^= user.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}

/**
 * Positions in `sequences` of the users kept: those whose items span two or more scenarios, at
 * most `maxUsers` (an even stride over them beyond that, so the kept users are spread over the
 * data's order).
 */
function keptSources(
  sequences: readonly ArrayLike<number>[],
  scenarioOf: (item: number) => string,
  maxUsers: number,
): number[] {
  const spanning: number[] = [];
  sequences.forEach((seq, k) => {
    const first = seq.length > 0 ? scenarioOf(seq[0]!) : '';
    for (let t = 1; t < seq.length; t++)
      if (scenarioOf(seq[t]!) !== first) {
        spanning.push(k);
        return;
      }
  });
  if (spanning.length <= maxUsers) return spanning;
  return Array.from({ length: maxUsers }, (_, k) => spanning[Math.floor((k * spanning.length) / maxUsers)]!);
}

/**
 * The users' keys put on rows built from `sequences` (the same sequences and cap), `users[k]`
 * being the key of `sequences[k]`.
 */
export function withUserKeys(
  cross: CrossUsers,
  sequences: readonly ArrayLike<number>[],
  scenarioOf: (item: number) => string,
  users: readonly string[],
  maxUsers: number = MAX_KEPT,
): CrossUsers {
  const sources = keptSources(sequences, scenarioOf, maxUsers);
  if (sources.length !== cross.rows.offsets.length - 1)
    throw new Error('user keys of other sequences than the rows');
  return { ...cross, keys: Uint32Array.from(sources, (k) => (users[k] ? userKeyHash(users[k]!) : 0)) };
}

/**
 * The rows of the users whose sequences hold items of two or more scenarios (`keptSources`).
 * Undefined when no user spans two scenarios or `neighbours` is 0.
 */
export function buildCrossUsers(
  sequences: readonly ArrayLike<number>[],
  scenarioOf: (item: number) => string,
  neighbours: number,
  maxUsers: number = MAX_KEPT,
): CrossUsers | undefined {
  if (neighbours <= 0 || maxUsers <= 0) return undefined;
  const keep = keptSources(sequences, scenarioOf, maxUsers).map((k) =>
    [...new Set(Array.from(sequences[k]!))].sort((a, b) => a - b),
  );
  if (keep.length === 0) return undefined;
  const offsets = new Int32Array(keep.length + 1);
  keep.forEach((r, u) => {
    offsets[u + 1] = offsets[u]! + r.length;
  });
  const items = new Int32Array(offsets[keep.length]!);
  keep.forEach((r, u) => {
    items.set(r, offsets[u]!);
  });
  return { rows: { offsets, items, weights: new Float32Array(items.length).fill(1) }, neighbours };
}

/** what matching needs, derived from the rows once per model (see `indexOf`) */
interface UserIndex {
  /** users holding each item: postUsers[postOffsets[i]..postOffsets[i+1]) */
  postOffsets: Int32Array;
  postUsers: Int32Array;
  /** ln(users / users holding the item); 0 beyond the rows' items */
  idf: Float32Array;
  /** per user and scenario code, the user's items there (users x scenarios) */
  perScenario: Int32Array;
  total: Int32Array;
  scenarios: number;
}

const indexes = new WeakMap<Csr, UserIndex>();

function indexOf(rows: Csr, scenarioCode: ArrayLike<number>): UserIndex {
  const got = indexes.get(rows);
  if (got) return got;
  const users = rows.offsets.length - 1;
  let numItems = 0;
  let scenarios = 1;
  for (const i of rows.items) numItems = Math.max(numItems, i + 1);
  for (let i = 0; i < scenarioCode.length; i++) scenarios = Math.max(scenarios, scenarioCode[i]! + 1);
  const df = new Int32Array(numItems);
  for (const i of rows.items) df[i]! += 1;
  const postOffsets = new Int32Array(numItems + 1);
  for (let i = 0; i < numItems; i++) postOffsets[i + 1] = postOffsets[i]! + df[i]!;
  const postUsers = new Int32Array(rows.items.length);
  const fill = postOffsets.slice(0, numItems);
  const perScenario = new Int32Array(users * scenarios);
  const total = new Int32Array(users);
  for (let u = 0; u < users; u++) {
    for (let o = rows.offsets[u]!; o < rows.offsets[u + 1]!; o++) {
      const i = rows.items[o]!;
      postUsers[fill[i]!++] = u;
      const c = i < scenarioCode.length ? scenarioCode[i]! : -1;
      if (c >= 0) perScenario[u * scenarios + c]! += 1;
      total[u]! += 1;
    }
  }
  const idf = Float32Array.from(df, (d) => (d > 0 ? Math.log(users / d) : 0));
  const index = { postOffsets, postUsers, idf, perScenario, total, scenarios };
  indexes.set(rows, index);
  return index;
}

/** the kept users most like the request outside the target scenario, with their similarities */
interface Neighbours {
  ix: UserIndex;
  /** the chosen users, most similar first */
  users: number[];
  /** similarity per user (read at the chosen users) */
  sim: Float64Array;
  /** each chosen user's divisor: the square root of one plus their items outside the target */
  norm: (u: number) => number;
}

function nearest(
  users: CrossUsers,
  scenarioCode: ArrayLike<number>,
  items: readonly number[],
  target: number,
  self: number,
): Neighbours {
  const ix = indexOf(users.rows, scenarioCode);
  const sim = new Float64Array(users.rows.offsets.length - 1);
  const touched: number[] = [];
  for (const i of new Set(items)) {
    if (i >= ix.idf.length) continue;
    const w = ix.idf[i]!;
    if (w <= 0) continue;
    for (let o = ix.postOffsets[i]!; o < ix.postOffsets[i + 1]!; o++) {
      const u = ix.postUsers[o]!;
      if (sim[u] === 0) touched.push(u);
      sim[u]! += w;
    }
  }
  const ns = ix.scenarios;
  const norm = (u: number) => Math.sqrt(1 + ix.total[u]! - ix.perScenario[u * ns + target]!);
  const keys = self !== 0 ? users.keys : undefined;
  const candidates = touched.filter((u) => ix.perScenario[u * ns + target]! > 0 && keys?.[u] !== self);
  for (const u of candidates) sim[u]! /= norm(u);
  candidates.sort((a, b) => sim[b]! - sim[a]! || a - b);
  return { ix, users: candidates.slice(0, users.neighbours), sim, norm };
}

/** the neighbours' summed similarity per target-scenario item, and its largest value */
function summed(users: CrossUsers, scenarioCode: ArrayLike<number>, nb: Neighbours, target: number) {
  const out = new Map<number, number>();
  const rows = users.rows;
  let max = 0;
  for (const u of nb.users) {
    const s = nb.sim[u]!;
    for (let o = rows.offsets[u]!; o < rows.offsets[u + 1]!; o++) {
      const j = rows.items[o]!;
      if (j >= scenarioCode.length || scenarioCode[j] !== target) continue;
      const v = (out.get(j) ?? 0) + s;
      out.set(j, v);
      if (v > max) max = v;
    }
  }
  return { out, max };
}

/**
 * The target scenario's items scored by the users most like the request outside it: `items` are
 * the request's positive items outside the target scenario (`target`, a scenario code of
 * `scenarioCode`); `self` the `userKeyHash` of the request's user, whose own row is never matched
 * (0: none). Scores are divided by their largest (in (0, 1]); empty without a match.
 */
export function crossUserScores(
  users: CrossUsers,
  scenarioCode: ArrayLike<number>,
  items: readonly number[],
  target: number,
  self = 0,
): Map<number, number> {
  const { out, max } = summed(users, scenarioCode, nearest(users, scenarioCode, items, target, self), target);
  if (max > 0) for (const [j, v] of out) out.set(j, v / max);
  return out;
}

/**
 * `crossUserScores` of `item` split over the request's items: a history item's share is the IDF it
 * adds to the similarity of each chosen user holding both it and `item`, over that user's divisor
 * and the largest score; the shares sum to the item's score.
 */
export function crossUserShares(
  users: CrossUsers,
  scenarioCode: ArrayLike<number>,
  items: readonly number[],
  target: number,
  item: number,
  self = 0,
): Map<number, number> {
  const nb = nearest(users, scenarioCode, items, target, self);
  const { max } = summed(users, scenarioCode, nb, target);
  const shares = new Map<number, number>();
  if (max <= 0) return shares;
  const rows = users.rows;
  const asked = new Set(items);
  for (const u of nb.users) {
    const row = rows.items.subarray(rows.offsets[u]!, rows.offsets[u + 1]!);
    if (!row.includes(item)) continue;
    for (const h of row) {
      if (!asked.has(h) || h >= nb.ix.idf.length) continue;
      shares.set(h, (shares.get(h) ?? 0) + nb.ix.idf[h]! / nb.norm(u) / max);
    }
  }
  return shares;
}

/**
 * The rows without one row holding exactly `items` (a user's distinct training items), the row of
 * the user with key hash `key` among them where the rows carry keys; the same rows when none
 * does. Rows with the same items score alike, so removing any one of them is what a retrain
 * without that user keeps (up to the order of equally similar users).
 */
export function withoutUserRow(users: CrossUsers, items: readonly number[], key = 0): CrossUsers {
  const want = [...new Set(items)].sort((a, b) => a - b);
  const { offsets, items: all } = users.rows;
  const n = offsets.length - 1;
  let found = -1;
  for (let u = 0; u < n; u++) {
    if (offsets[u + 1]! - offsets[u]! !== want.length) continue;
    let same = true;
    for (let k = 0; k < want.length && same; k++) same = all[offsets[u]! + k] === want[k];
    if (!same) continue;
    if (found < 0) found = u;
    if (key !== 0 && users.keys?.[u] === key) {
      found = u;
      break;
    }
  }
  if (found < 0) return users;
  const cut0 = offsets[found]!;
  const cut1 = offsets[found + 1]!;
  const len = cut1 - cut0;
  // n - 1 rows: those before the removed one as they were, those after it shifted down by its length
  const nextOffsets = Int32Array.from({ length: n }, (_, k) =>
    k <= found ? offsets[k]! : offsets[k + 1]! - len,
  );
  const rest = new Int32Array(all.length - len);
  rest.set(all.subarray(0, cut0));
  rest.set(all.subarray(cut1), cut0);
  const keys = users.keys;
  return {
    rows: { offsets: nextOffsets, items: rest, weights: new Float32Array(rest.length).fill(1) },
    neighbours: users.neighbours,
    ...(keys ? { keys: Uint32Array.from([...keys.subarray(0, found), ...keys.subarray(found + 1)]) } : {}),
  };
}
