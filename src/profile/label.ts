/**
 * Readable interest labels without a generative model: the words that set an interest's items
 * apart from the rest of their scenario, by class-based TF-IDF as BERTopic weighs topic words:
 *
 *   W(t, interest) = Σ over member items m holding t of  boost(t in m) · log(1 + A_s / f_{t,s})
 *
 * where s is m's scenario, f_{t,s} how often t occurs over all of s's items and A_s the average
 * number of terms per item of s (each item is one class of the background). Terms are an item's
 * tags and category leaves whole (preferred: people wrote them as labels), two-word phrases of
 * its title and its title words, after dropping number-only tokens, words with digits (model
 * numbers), units, English stop words, all-caps codes and catalogue filler. Chinese and other
 * CJK text is segmented by jieba. The label is at most three words: the best terms that share no
 * word, each supported by two members where the interest has two or more.
 */
import { hasCjk, phrases, type Token } from '../core/tokens.ts';

/** What a label may be made of, per item. */
export interface LabelSource {
  title: string;
  scenario: string;
  tags?: readonly string[] | undefined;
  category?: readonly string[] | undefined;
}

/** NLTK's English stop-word list, with contractions split as the tokeniser splits them. */
const ENGLISH_STOP_WORDS =
  'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
  'herself it its itself they them their theirs themselves what which who whom this that these those am is ' +
  'are was were be been being have has had having do does did doing a an the and but if or because as until ' +
  'while of at by for with about against between into through during before after above below to from up ' +
  'down in out on off over under again further then once here there when where why how all any both each ' +
  'few more most other some such no nor not only own same so than too very s t can will just don should now ' +
  'd ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn ' +
  'weren won wouldn also per via vs etc within without plus';

/** units and pack sizes: they say how much, not what */
const UNITS =
  'mm cm m km in inch inches ft feet foot yd oz ounce ounces fl lb lbs pound pounds g gr gram grams kg mg ' +
  'ml l liter liters litre litres gal gallon gallons qt quart quarts pt pint pints cup cups tsp tbsp ' +
  'pack packs pk pkg count ct pcs pc piece pieces set sets pair pairs dozen box boxes bag bags case cases ' +
  'bottle bottles can cans jar jars roll rolls sheet sheets unit units size sizes x xl xxl w watt watts ' +
  'v volt volts amp amps mah hz kwh btu qty';

/** words on many catalogue titles that name no kind of thing */
const FILLER =
  'new best top great premium quality perfect ideal value deluxe original genuine authentic assorted ' +
  'variety pack' +
  ' one two three four five six seven eight nine ten twelve dozen single double triple ' +
  'black white red blue green yellow silver gray grey brown pink purple orange clear color colors colour ' +
  'inc llc ltd co brand item items product products use used';

/** modifiers that read well inside a phrase ("low carb", "milk based") but say nothing alone */
const MODIFIERS = new Set(
  'based low high extra mini large small medium big little style made flavored flavor flavour variety size free'.split(
    ' ',
  ),
);

const DROP = new Set(`${ENGLISH_STOP_WORDS} ${UNITS} ${FILLER}`.split(/\s+/));

/** Chinese function words and measure words that jieba emits as words of their own */
const CJK_DROP = new Set(
  '的 了 和 与 及 或 在 是 有 为 对 把 被 等 个 件 只 套 装 包 盒 袋 瓶 支 条 张 片 克 千克 毫升 升 厘米 毫米 新款 新品 正品 包邮 特价 家用'.split(
    ' ',
  ),
);

/** words seen before, by raw form: a catalogue repeats its vocabulary (the all-caps check aside) */
const seen = new Map<string, boolean>();

/** true for a word a label may hold */
function acceptable(t: Token, shouting: boolean): boolean {
  let ok = seen.get(t.raw);
  if (ok === undefined) {
    ok = wordAcceptable(t);
    if (seen.size > 200_000) seen.clear();
    seen.set(t.raw, ok);
  }
  if (!ok) return false;
  // an all-caps token in a title that is not all caps is a code or a brand ("ZWILLING", "BPA")
  return shouting || t.cjk || t.raw.length < 2 || t.raw !== t.raw.toUpperCase() || !/\p{Lu}/u.test(t.raw);
}

function wordAcceptable(t: Token): boolean {
  if (t.cjk) return !CJK_DROP.has(t.word) && !/\p{N}/u.test(t.word);
  return t.word.length >= 3 && !/\p{N}/u.test(t.word) && !DROP.has(t.word);
}

function joinWords(ws: readonly Token[]): string {
  return ws.every((w) => w.cjk) ? ws.map((w) => w.word).join('') : ws.map((w) => w.word).join(' ');
}

/** scraped catalogues carry HTML entities ("Macaroni &amp; Cheese") */
function decodeEntities(text: string): string {
  return text.includes('&')
    ? text.replace(/&(amp|quot|#39|apos|lt|gt);/g, (_, e: string) => ENTITIES[e]!)
    : text;
}
const ENTITIES: Record<string, string> = { amp: '&', quot: '"', '#39': "'", apos: "'", lt: '<', gt: '>' };

/** kind of a term occurrence: how much its source says "this is what the item is" */
const KIND_BOOST = [1.5, 1.2, 1] as const;
const TAG = 0;
const PHRASE = 1;
const WORD = 2;

/** Terms one item offers, each once, with its kind (tag or category > title phrase > title word). */
export function labelTerms(src: LabelSource): { term: string; words: number; kind: number }[] {
  const out = new Map<string, { term: string; words: number; kind: number }>();
  const add = (term: string, words: number, kind: number) => {
    const had = out.get(term);
    if (!had || had.kind > kind) out.set(term, { term, words, kind });
  };
  const whole = (text: string) => {
    const ws = phrases(text).flat();
    if (ws.length === 0 || ws.length > 3 || !ws.every((w) => acceptable(w, true))) return;
    add(joinWords(ws), ws.length, TAG);
  };
  for (const t of src.tags ?? []) whole(decodeEntities(t));
  // the leaf and its parent: "Skillets" under "Cookware"; the root is on every item and weighs nothing
  for (const c of (src.category ?? []).slice(-2)) whole(decodeEntities(c));
  const title = decodeEntities(src.title);
  const letters = title.replace(/[^\p{L}]/gu, '');
  const shouting = letters.length > 0 && letters === letters.toUpperCase();
  for (const phrase of phrases(title)) {
    let prev: Token | undefined;
    for (const w of phrase) {
      if (!acceptable(w, shouting)) {
        prev = undefined;
        continue;
      }
      if (w.cjk || !MODIFIERS.has(w.word)) add(w.word, 1, WORD);
      if (prev && prev.word !== w.word) add(joinWords([prev, w]), 2, PHRASE);
      prev = w;
    }
  }
  return [...out.values()];
}

/** most members read per label: the most representative come first */
const LABEL_MEMBERS = 30;
/** a second or third term joins the label only if it scores this share of the best */
const SECOND_TERM = 0.35;
/** a term on more than this share of a scenario's items labels nothing there */
const MAX_DF = 0.4;
const MIN_ITEMS_MAX_DF = 5;

interface ScenarioStats {
  items: number;
  /** occurrences of all terms */
  total: number;
  freq: Map<number, number>;
}

/**
 * The terms of every item of a catalog and how often each occurs per scenario, made once per
 * catalog (the engine keeps it with its model) and kept current as items are upserted.
 */
export class LabelVocabulary {
  private readonly ids = new Map<string, number>();
  private readonly text: string[] = [];
  private readonly wordCount: number[] = [];
  /** per item: term id * 4 + kind */
  private readonly itemTerms: (Int32Array | undefined)[] = [];
  private readonly itemScenario: (string | undefined)[] = [];
  private readonly stats = new Map<string, ScenarioStats>();

  constructor(sources: Iterable<LabelSource> = []) {
    let i = 0;
    for (const s of sources) this.set(i++, s);
  }

  /** Adds or replaces item `item`'s terms (and moves the scenario counts with them). */
  set(item: number, src: LabelSource): void {
    this.count(item, -1);
    const terms = labelTerms(src);
    const packed = new Int32Array(terms.length);
    terms.forEach((t, k) => {
      let id = this.ids.get(t.term);
      if (id === undefined) {
        id = this.text.length;
        this.ids.set(t.term, id);
        this.text.push(t.term);
        this.wordCount.push(t.words);
      }
      packed[k] = id * 4 + t.kind;
    });
    this.itemTerms[item] = packed;
    this.itemScenario[item] = src.scenario;
    this.count(item, 1);
  }

  private count(item: number, sign: 1 | -1): void {
    const terms = this.itemTerms[item];
    const scenario = this.itemScenario[item];
    if (!terms || scenario === undefined) return;
    let s = this.stats.get(scenario);
    if (!s) {
      s = { items: 0, total: 0, freq: new Map() };
      this.stats.set(scenario, s);
    }
    s.items += sign;
    s.total += sign * terms.length;
    for (const p of terms) {
      const id = p >> 2;
      s.freq.set(id, (s.freq.get(id) ?? 0) + sign);
    }
  }

  /** log(1 + A_s / f_{t,s}): high for a term rare in the item's scenario */
  private weight(id: number, scenario: string): number {
    const s = this.stats.get(scenario);
    const f = s?.freq.get(id) ?? 0;
    if (!s || f <= 0 || s.items <= 0) return 1;
    // on most of the scenario's items it names the scenario, not an interest (max_df)
    if (s.items >= MIN_ITEMS_MAX_DF && f > MAX_DF * s.items) return 0;
    return Math.log(1 + s.total / s.items / f);
  }

  /** The label of a set of items (most representative first); '' when no term qualifies. */
  label(members: readonly number[]): string {
    const score = new Map<number, number>();
    const support = new Map<number, number>();
    const read = members.slice(0, LABEL_MEMBERS);
    for (const m of read) {
      const terms = this.itemTerms[m];
      const scenario = this.itemScenario[m];
      if (!terms || scenario === undefined) continue;
      for (const p of terms) {
        const id = p >> 2;
        score.set(id, (score.get(id) ?? 0) + KIND_BOOST[(p & 3) as 0 | 1 | 2] * this.weight(id, scenario));
        support.set(id, (support.get(id) ?? 0) + 1);
      }
    }
    return pickLabel(
      [...score.entries()].map(([id, s]) => ({
        term: this.text[id]!,
        words: this.wordCount[id]!,
        score: s,
        support: support.get(id)!,
      })),
      read.length,
    );
  }
}

/** A label from titles alone, without catalog statistics (where the caller has no vocabulary). */
export function labelFromTitles(titles: readonly string[]): string {
  const score = new Map<string, { words: number; score: number; support: number }>();
  for (const title of titles.slice(0, LABEL_MEMBERS)) {
    for (const t of labelTerms({ title, scenario: '' })) {
      const e = score.get(t.term) ?? { words: t.words, score: 0, support: 0 };
      e.score += KIND_BOOST[t.kind as 0 | 1 | 2];
      e.support++;
      score.set(t.term, e);
    }
  }
  return pickLabel(
    [...score.entries()].map(([term, e]) => ({ term, ...e })),
    Math.min(titles.length, LABEL_MEMBERS),
  );
}

/**
 * The best terms that fit in three words and share no word with one another, each held by at
 * least two members where there are two or more (one item's odd word is not an interest).
 */
function pickLabel(
  candidates: readonly { term: string; words: number; score: number; support: number }[],
  members: number,
): string {
  const need = members >= 2 ? 2 : 1;
  let pool = candidates.filter((c) => c.support >= need && c.score > 0);
  if (pool.length === 0) pool = candidates.filter((c) => c.score > 0);
  pool.sort((a, b) => b.score - a.score || a.words - b.words || (a.term < b.term ? -1 : 1));
  const picked: { term: string; words: number; parts: string[] }[] = [];
  let used = 0;
  const best = pool[0]?.score ?? 0;
  for (const c of pool) {
    if (picked.length === 3 || used >= 3) break;
    if (picked.length > 0 && c.score < SECOND_TERM * best) break;
    if (used + c.words > 3) continue;
    const parts = c.term.includes(' ') ? c.term.split(' ') : [c.term];
    const overlaps = picked.some(
      (p) =>
        p.parts.some((w) => parts.includes(w)) ||
        // CJK terms have no spaces: one inside another (锅 in 炒锅) says the same thing
        (hasCjk(c.term) && (p.term.includes(c.term) || c.term.includes(p.term))),
    );
    if (overlaps) continue;
    picked.push({ term: c.term, words: c.words, parts });
    used += c.words;
  }
  return picked.map((p) => p.term).join(' · ');
}
