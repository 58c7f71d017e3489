/**
 * An item's catalogue metadata as tokens (tags, category path, string attributes, visual tags,
 * audio descriptors, title words), for the attribute graph (./attr.ts) and, hashed into a dense
 * vector, for the sequential model's metadata input.
 */
import type { Item } from '../core/types.ts';

/** the metadata of an item the attribute graph reads */
export type AttrSource = Pick<Item, 'category' | 'tags' | 'attributes' | 'image' | 'audio'> & {
  title?: string;
};

/** when a title's words are attribute tokens (`train.attrTitleWords`) */
export type TitleWords = 'never' | 'missing' | 'always';

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * The attribute tokens of an item, each once: `tag:` per tag, `cat:` per prefix of the category
 * path (an item under Home > Kitchen shares `cat:home` with every Home item), `attr:key=value` per
 * string or boolean attribute (numbers are quantities, not categories), `visual:` per visual tag,
 * `audio:key=value` per text audio descriptor; with `titleWords`, `word:` per word of the title
 * (letters and digits, two characters or more, not a number alone).
 */
export function attributeTokens(item: AttrSource, opts: { titleWords?: boolean } = {}): string[] {
  const out = new Set<string>();
  const add = (t: string, v: string) => {
    const s = norm(v);
    if (s !== '' && s.length <= 200) out.add(`${t}${s}`);
  };
  for (const t of item.tags ?? []) add('tag:', t);
  const path: string[] = [];
  for (const c of item.category ?? []) {
    path.push(norm(c));
    add('cat:', path.join(' > '));
  }
  for (const [k, v] of Object.entries(item.attributes ?? {}))
    if (typeof v === 'string' || typeof v === 'boolean') add('attr:', `${k}=${v}`);
  for (const t of item.image?.visualTags ?? []) add('visual:', t);
  for (const [k, v] of Object.entries(item.audio?.descriptors ?? {}))
    if (typeof v === 'string') add('audio:', `${k}=${v}`);
  if (opts.titleWords)
    for (const w of (item.title ?? '').toLowerCase().split(/[^\p{L}\p{N}]+/u))
      if (w.length >= 2 && !/^\p{N}+$/u.test(w)) add('word:', w);
  return [...out];
}

/** an item's curated metadata tokens: its attribute tokens less the title's words */
export const curatedTokens = (tokens: readonly string[]): string[] =>
  tokens.filter((t) => !t.startsWith('word:'));

/**
 * The attribute tokens of a catalogue (`attributeTokens` per item), with its titles' words where
 * `titleWords` asks: `always`, or `missing`: for the items none of whose other tokens is shared
 * by another item of their scenario (no metadata, or only identifiers), whose titles then stand in
 * for the metadata they lack.
 */
export function catalogTokens(
  items: readonly (AttrSource & { scenario: string })[],
  titleWords: TitleWords,
): string[][] {
  if (titleWords !== 'missing')
    return items.map((i) => attributeTokens(i, { titleWords: titleWords === 'always' }));
  const tokens = items.map((i) => attributeTokens(i));
  const held = tokenCounts(
    tokens,
    items.map((i) => i.scenario),
  );
  return tokens.map((ts, k) =>
    ts.some((t) => held(k, t) > 1) ? ts : attributeTokens(items[k]!, { titleWords: true }),
  );
}

/** how many items of item i's scenario hold token t: `held(i, t)` */
function tokenCounts(
  tokens: readonly (readonly string[])[],
  scenario: ArrayLike<string | number>,
): (i: number, t: string) => number {
  const key = (i: number, t: string) => `${scenario[i]}\u0001${t}`;
  const df = new Map<string, number>();
  tokens.forEach((ts, i) => {
    for (const t of ts) df.set(key(i, t), (df.get(key(i, t)) ?? 0) + 1);
  });
  return (i, t) => df.get(key(i, t)) ?? 0;
}

/** 32-bit FNV-1a of a string */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Each item's metadata as a dense vector (feature hashing): the IDF weight of each token its
 * scenario shares with another item, added into one of `dim` slots with a hashed sign (so
 * collisions cancel in expectation rather than add), the row L2-normalised. The content a model
 * can read where there is no language-model vector. Undefined when no token is shared.
 */
export function attributeVectors(
  tokens: readonly (readonly string[])[],
  scenario: ArrayLike<string | number>,
  dim = 1024,
): { dim: number; data: Float32Array } | undefined {
  const n = tokens.length;
  const held = tokenCounts(tokens, scenario);
  const items = new Map<string | number, number>();
  for (let i = 0; i < n; i++) items.set(scenario[i]!, (items.get(scenario[i]!) ?? 0) + 1);
  const data = new Float32Array(n * dim);
  let any = false;
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * dim, (i + 1) * dim);
    for (const t of tokens[i]!) {
      const c = held(i, t);
      if (c < 2) continue;
      const h = fnv1a(t);
      row[h % dim]! += (h & 0x80000000 ? -1 : 1) * Math.log((items.get(scenario[i]!)! + 1) / (c + 1));
      any = true;
    }
    let s = 0;
    for (let d = 0; d < dim; d++) s += row[d]! * row[d]!;
    if (s > 0) for (let d = 0; d < dim; d++) row[d]! /= Math.sqrt(s);
  }
  return any ? { dim, data } : undefined;
}
