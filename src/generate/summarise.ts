/**
 * A short natural-language summary of one user interest (a cluster of items a user engaged with).
 * With a generative model configured, the model writes it from the interest's items and its most
 * characteristic terms; without one, or when the model fails or times out, a deterministic
 * summary is built from those terms. Never throws for a model failure.
 */
import type { Item } from '../core/types.ts';
import type { Generator } from './types.ts';

/** Document frequencies of terms over a background set of items (e.g. the whole catalogue). */
export interface TermStats {
  docs: number;
  df: ReadonlyMap<string, number>;
}

export interface InterestInput {
  items: readonly Item[];
  /** weight of each item in the interest (same order); default 1 each */
  weights?: readonly number[];
  /** catalogue statistics: terms common everywhere ("seen live", "pack of 12") count less */
  background?: TermStats;
}

export interface InterestSummary {
  text: string;
  /** the most characteristic terms, best first */
  terms: string[];
  /** true when a generative model wrote `text` */
  generated: boolean;
}

const STOP = new Set(
  (
    'a an and are as at be by for from has have in is it its of on or that the this to was were will with ' +
    'you your our we they he she his her their them not no but all any can x pack count ounce oz inch ' +
    'set new best top great one two three'
  ).split(' '),
);

/** The terms an item offers: its tags and category leaf whole, and its title words. */
function itemTerms(item: Item): { term: string; weight: number }[] {
  const out: { term: string; weight: number }[] = [];
  const seen = new Set<string>();
  const add = (t: string, w: number) => {
    const term = t.toLowerCase().replace(/\s+/g, ' ').trim();
    if (!term || term.length < 2 || STOP.has(term) || /^\d+$/.test(term) || seen.has(term)) return;
    seen.add(term);
    out.push({ term, weight: w });
  };
  for (const t of item.tags ?? []) add(t, 2);
  for (const t of item.image?.visualTags ?? []) add(t, 1.5);
  for (const v of Object.values(item.audio?.descriptors ?? {})) if (typeof v === 'string') add(v, 1.5);
  const leaf = item.category?.[item.category.length - 1];
  if (leaf) add(leaf, 1.5);
  for (const w of item.title.split(/[^\p{L}\p{N}'&-]+/u)) if (w.length > 2) add(w, 1);
  return out;
}

export function termStats(items: Iterable<Item>): TermStats {
  const df = new Map<string, number>();
  let docs = 0;
  for (const it of items) {
    docs++;
    for (const { term } of itemTerms(it)) df.set(term, (df.get(term) ?? 0) + 1);
  }
  return { docs, df };
}

/** Terms ranked by weighted frequency in the interest times inverse frequency in the background. */
function characteristicTerms(input: InterestInput, n = 5): string[] {
  const score = new Map<string, number>();
  input.items.forEach((it, i) => {
    const w = input.weights?.[i] ?? 1;
    for (const { term, weight } of itemTerms(it)) score.set(term, (score.get(term) ?? 0) + w * weight);
  });
  const bg = input.background;
  const ranked = [...score.entries()].map(([term, s]) => {
    const idf = bg ? Math.log((bg.docs + 1) / ((bg.df.get(term) ?? 0) + 1)) + 1 : 1;
    return { term, s: s * idf };
  });
  ranked.sort((a, b) => b.s - a.s || a.term.localeCompare(b.term));
  // a term contained in a better one ("rock" under "classic rock") adds little
  const picked: string[] = [];
  for (const { term } of ranked) {
    if (picked.some((p) => p.includes(term) || term.includes(p))) continue;
    picked.push(term);
    if (picked.length === n) break;
  }
  return picked;
}

function joinWords(xs: readonly string[]): string {
  if (xs.length <= 1) return xs[0] ?? '';
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** The deterministic summary: characteristic terms and the heaviest items as examples. */
export function describeInterest(input: InterestInput): InterestSummary {
  const terms = characteristicTerms(input, 5);
  const order = input.items
    .map((it, i) => ({ it, w: input.weights?.[i] ?? 1 }))
    .sort((a, b) => b.w - a.w || a.it.id.localeCompare(b.it.id));
  const examples = [...new Set(order.map((o) => o.it.title.trim()).filter(Boolean))].slice(0, 2);
  const head = terms.length > 0 ? joinWords(terms.slice(0, 3)) : 'varied items';
  const text = examples.length > 0 ? `${head} (e.g. ${examples.join('; ')})` : head;
  return { text: text.charAt(0).toUpperCase() + text.slice(1), terms, generated: false };
}

/**
 * Summary of one interest: by the generator when given and it answers well within its timeout,
 * else the deterministic description.
 */
export async function summariseInterest(
  input: InterestInput,
  opts: { generator?: Generator; signal?: AbortSignal } = {},
): Promise<InterestSummary> {
  const fallback = describeInterest(input);
  if (!opts.generator || input.items.length === 0) return fallback;
  const titles = input.items
    .slice(0, 12)
    .map((it) => `- ${it.title}${it.tags?.length ? ` [${it.tags.slice(0, 5).join(', ')}]` : ''}`)
    .join('\n');
  try {
    const reply = await opts.generator.complete(
      [
        {
          role: 'system',
          content:
            'You describe one interest of a user of a recommender in a short phrase (at most 15 words), addressed to the user, without quotes or lists. Use only the items given.',
        },
        {
          role: 'user',
          content: `Items in this interest:\n${titles}\nCharacteristic terms: ${fallback.terms.join(', ')}\nDescribe the interest.`,
        },
      ],
      { maxTokens: 60, temperature: 0.3, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    const text = reply
      .replace(/^["'\s]+|["'\s]+$/g, '')
      .split('\n')[0]!
      .trim();
    if (text.length < 3 || text.length > 200) return fallback;
    return { text, terms: fallback.terms, generated: true };
  } catch {
    // optional and off the request path: a failing model only costs the nicer wording
    return fallback;
  }
}
