/**
 * Interest labels before and after class-based TF-IDF, on food-kitchen: read with the project's
 * importer (no store), each training user's items in one scenario taken as one interest (the
 * engine's interest for a history without vectors), labelled by the former title-word count and
 * by the catalog's label vocabulary.
 *   npm run bench:labels -- [--data ../shared/data/food-kitchen] [--show 20] [--users 100000]
 * Prints a markdown table of `--show` interests, how many of all labels checked hold a number-only
 * token or an English stop word, and the time to build the vocabulary. Asserts nothing.
 */
import { parseArgs } from 'node:util';
import type { Item } from '../src/core/types.ts';
import { foodKitchen } from '../src/ingest/datasets/food-kitchen.ts';
import { LabelVocabulary } from '../src/profile/label.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/food-kitchen' },
    show: { type: 'string', default: '20' },
    users: { type: 'string', default: '100000' },
  },
});

/** The former labeller, kept here only to print "before": the three most shared title words. */
const OLD_STOPWORDS = new Set(
  'a an and the of for with in on to by from at or set pack inch oz ounce count pcs piece pieces x 1 2 3 4 5 6 8 10 12 new'.split(
    ' ',
  ),
);
function oldLabel(titles: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const title of titles.slice(0, 20)) {
    const seen = new Set<string>();
    for (const w of title.toLowerCase().split(/[^a-z0-9]+/)) {
      if (w.length < 3 || OLD_STOPWORDS.has(w) || seen.has(w)) continue;
      seen.add(w);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
  return top.length > 0 ? top.map(([w]) => w).join(' · ') : (titles[0] ?? 'general');
}

const ctx = {
  pseudonymising: false,
  pseudonymise: (u: string) => u,
  onBytes: () => {},
  note: () => {},
};
const items: Item[] = [];
const interests = new Map<string, string[]>();
for await (const r of foodKitchen.read(args.data, ctx)) {
  if (r.kind === 'item') items.push(r.value);
  else if (r.kind === 'event' && (r.value.split ?? 'train') === 'train') {
    const key = `${r.value.user}\t${r.value.scenario}`;
    const list = interests.get(key) ?? [];
    list.push(r.value.item);
    interests.set(key, list);
  }
}
const index = new Map(items.map((it, i) => [`${it.scenario}\t${it.id}`, i]));
const t0 = performance.now();
const vocab = new LabelVocabulary(items);
const buildMs = performance.now() - t0;

const STOP = new Set(
  'i me my we our you your he him his she her it its they them their what which who this that these those am is are was were be been have has had do does did a an the and but if or because as until while of at by for with about against between into through during before after above below to from up down in out on off over under again further then once here there when where why how all any both each few more most other some such no nor not only own same so than too very can will just should now'.split(
    ' ',
  ),
);
const bad = (label: string) => label.split(/[\s·]+/).some((w) => /^\d+$/.test(w) || STOP.has(w));

// interests of 3+ items, most recent last as the engine orders members (most representative first)
const chosen = [...interests.entries()].filter(([, list]) => list.length >= 3).slice(0, Number(args.users));
let oldBad = 0;
let newBad = 0;
let labelMs = 0;
const rows: string[] = [];
for (const [key, ids] of chosen) {
  const [, scenario] = key.split('\t') as [string, string];
  const members = [...new Set(ids.map((id) => index.get(`${scenario}\t${id}`)!))].reverse();
  const titles = members.map((m) => items[m]!.title);
  const before = oldLabel(titles);
  const s = performance.now();
  const after = vocab.label(members) || titles[0]!;
  labelMs += performance.now() - s;
  if (bad(before)) oldBad++;
  if (bad(after)) newBad++;
  // as many kitchen as food interests in the table
  const shown = rows.filter((r) => r.startsWith(`| ${scenario} `)).length;
  if (shown < Number(args.show) / 2) {
    const eg = titles
      .slice(0, 2)
      .map((t) => (t.length > 50 ? `${t.slice(0, 47)}...` : t))
      .join('; ')
      .replaceAll('|', '/');
    rows.push(`| ${scenario} | ${members.length} | ${before} | ${after} | ${eg} |`);
  }
}
console.log(
  '| scenario | items | before (shared title words) | after (class-based TF-IDF) | first two items |',
);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log();
console.log(
  `${chosen.length} interests: labels with a number-only token or a stop word: before ${oldBad}, after ${newBad}`,
);
console.log(
  `vocabulary of ${items.length} items built in ${buildMs.toFixed(0)} ms; ${(labelMs / chosen.length).toFixed(3)} ms per label`,
);
