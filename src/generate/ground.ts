/**
 * Explanation sentences grounded in the structured reasons. The template says what the reasons
 * say (cited past items and their scenarios, the interest, context effects, the retriever), in
 * Chinese when the names it cites are Chinese, else in English. A generated sentence is written
 * from the same reasons only and kept only if it names nothing else: every catalog title or
 * scenario found in it, and every quoted or capitalised multi-word span, must be one of the names
 * the reasons hold; otherwise the template replaces it.
 */
import { cjkShare, hasCjk } from '../core/tokens.ts';
import type { Generator } from './types.ts';

/** What a sentence may be made of: the reasons of one recommended item, names resolved. */
export interface SentenceReasons {
  /** the recommended item */
  item: { title: string; scenario: string };
  retriever: string;
  interest?: { label: string } | undefined;
  history: readonly { title: string; scenario: string }[];
  context: readonly { feature: string; value: string | number | boolean; effect: number }[];
}

/** display name of a scenario id */
export type ScenarioNames = (id: string) => string;

function quoteList(xs: readonly string[], and: string): string {
  if (xs.length <= 1) return xs[0] ?? '';
  return `${xs.slice(0, -1).join(', ')} ${and} ${xs[xs.length - 1]}`;
}

/** cited past items, at most three, each with the scenario it was in */
function cited(r: SentenceReasons): { title: string; scenario: string }[] {
  return r.history.filter((h) => h.title.trim()).slice(0, 3);
}

/** The sentence the reasons alone give (no model). */
export function templateSentence(r: SentenceReasons, name: ScenarioNames = (s) => s): string {
  const hist = cited(r);
  const positive = r.context.filter((c) => c.effect > 0).slice(0, 2);
  const names = [...hist.map((h) => h.title), r.interest?.label ?? '', r.item.title].join(' ');
  if (cjkShare(names) > 0.3) return chineseTemplate(r, hist, positive, name);
  const parts: string[] = [];
  if (hist.length > 0) {
    const each = hist.map((h) => `“${h.title}” in ${name(h.scenario)}`);
    parts.push(`Because you engaged with ${quoteList(each, 'and')}`);
    if (r.interest) parts.push(`it fits your interest in ${r.interest.label}`);
  } else if (r.interest) {
    parts.push(`It fits your interest in ${r.interest.label}`);
  }
  if (positive.length > 0)
    parts.push(
      `it suits ${quoteList(
        positive.map((c) => `${c.feature} ${String(c.value)}`),
        'and',
      )}`,
    );
  if (parts.length === 0) return retrieverSentence(r.retriever, name(r.item.scenario));
  return `${parts.join(', ')}.`;
}

function retrieverSentence(retriever: string, scenario: string): string {
  if (retriever === 'trending') return `Trending in ${scenario} right now.`;
  if (retriever === 'popular') return `Popular in ${scenario}.`;
  if (retriever === 'semantic') return `Close in meaning to what you like in ${scenario}.`;
  return `Suggested for you in ${scenario}.`;
}

function chineseTemplate(
  r: SentenceReasons,
  hist: readonly { title: string; scenario: string }[],
  positive: SentenceReasons['context'],
  name: ScenarioNames,
): string {
  const parts: string[] = [];
  if (hist.length > 0)
    parts.push(`因为你在${hist.map((h) => `${name(h.scenario)}关注过“${h.title}”`).join('、')}`);
  if (r.interest) parts.push(`符合你对“${r.interest.label}”的兴趣`);
  if (positive.length > 0)
    parts.push(`适合${positive.map((c) => `${c.feature} ${String(c.value)}`).join('、')}`);
  if (parts.length === 0) return `${name(r.item.scenario)}里为你推荐。`;
  return `${parts.join('，')}。`;
}

/** lower case, NFKC, letters and digits only, single spaces */
function norm(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** the longest title (in words) looked up as a phrase of a sentence */
const MAX_TITLE_WORDS = 12;
/** shorter names are ordinary words more often than names ("Tea", "Up") */
const MIN_NAME_CHARS = 4;

/**
 * Every item title and scenario name of a catalog, to find which of them a sentence names. Built
 * once per catalog (a set of normalised titles) and read per checked sentence.
 */
export class KnownNames {
  private readonly latin = new Set<string>();
  private readonly cjk: string[] = [];

  constructor(titles: Iterable<string>, scenarios: Iterable<string>) {
    for (const t of [...titles, ...scenarios]) {
      const n = norm(t);
      if (!n) continue;
      if (hasCjk(n)) {
        const compact = n.replace(/ /g, '');
        if (compact.length >= 2) this.cjk.push(compact);
      } else if (n.length >= MIN_NAME_CHARS && n.split(' ').length <= MAX_TITLE_WORDS) this.latin.add(n);
    }
  }

  /** the known names that occur in the text as whole words (normalised) */
  find(text: string): string[] {
    const n = norm(text);
    const out = new Set<string>();
    const words = n.split(' ').filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      let phrase = '';
      for (let k = i; k < Math.min(words.length, i + MAX_TITLE_WORDS); k++) {
        phrase = phrase ? `${phrase} ${words[k]}` : words[k]!;
        if (this.latin.has(phrase)) out.add(phrase);
      }
    }
    if (this.cjk.length > 0 && hasCjk(n)) {
      const compact = n.replace(/ /g, '');
      for (const t of this.cjk) if (compact.includes(t)) out.add(t);
    }
    return [...out];
  }
}

const STOP = new Set(
  'i you we he she it they my your our the a an and or but because of in on at to for with from by as this that these those since so if then also here there which who what when why how is are was were be been'.split(
    ' ',
  ),
);

/**
 * The names a sentence mentions that its reasons do not hold (empty: the sentence is grounded).
 * Allowed: the recommended item, the cited items, their scenarios, the interest label, and any
 * part of them ("the Lodge skillet" for "Lodge Cast Iron Skillet").
 */
export function ungroundedNames(
  sentence: string,
  r: SentenceReasons,
  known: KnownNames,
  name: ScenarioNames = (s) => s,
): string[] {
  const scenarios = [r.item.scenario, ...r.history.map((h) => h.scenario)];
  const allowed = [
    r.item.title,
    ...r.history.map((h) => h.title),
    ...scenarios,
    ...scenarios.map(name),
    r.interest?.label ?? '',
  ]
    .map(norm)
    .filter(Boolean);
  const allowedWords = new Set(allowed.flatMap((a) => a.split(' ')));
  const compactAllowed = allowed.map((a) => a.replace(/ /g, ''));
  const isAllowed = (span: string): boolean => {
    const n = norm(span);
    if (!n) return true;
    if (allowed.some((a) => a === n || ` ${a} `.includes(` ${n} `))) return true;
    if (hasCjk(n)) {
      const c = n.replace(/ /g, '');
      return compactAllowed.some((a) => a.includes(c));
    }
    return false;
  };
  const bad = new Set<string>();
  for (const found of known.find(sentence)) if (!isAllowed(found)) bad.add(found);
  // quoted spans name something: it must be a cited name
  for (const m of sentence.matchAll(/["“”„«»「『]([^"“”„«»」』]{2,120})["“”„«»」』]/gu))
    if (!isAllowed(m[1]!)) bad.add(norm(m[1]!));
  // runs of two or more capitalised words read as a proper name ("Lodge Cast Iron")
  for (const m of sentence.matchAll(/\p{Lu}[\p{L}\p{N}'’-]*(?:\s+(?:\p{Lu}[\p{L}\p{N}'’-]*|\p{N}+))+/gu)) {
    const span = m[0];
    const words = norm(span).split(' ');
    if (words.every((w) => STOP.has(w) || allowedWords.has(w))) continue;
    if (!isAllowed(span)) bad.add(norm(span));
  }
  return [...bad];
}

/** the model's reply as one sentence, or undefined when it is not one */
function cleanReply(reply: string): string | undefined {
  const line = reply
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  if (!line) return undefined;
  const text = line.replace(/^["'“”]+|["'“”]+$/g, '').trim();
  if (text.length < 8 || text.length > 300) return undefined;
  return text;
}

/** The facts a model may use, one per line; nothing else about the catalog reaches it. */
function facts(r: SentenceReasons, name: ScenarioNames): string {
  const lines = [`recommended item: "${r.item.title}" (in ${name(r.item.scenario)})`];
  for (const h of cited(r)) lines.push(`the user engaged with: "${h.title}" (in ${name(h.scenario)})`);
  if (r.interest) lines.push(`matching interest of the user: ${r.interest.label}`);
  for (const c of r.context.slice(0, 3))
    lines.push(`context ${c.feature} = ${String(c.value)} ${c.effect >= 0 ? 'raised' : 'lowered'} the score`);
  lines.push(`found by: ${r.retriever}`);
  return lines.join('\n');
}

export interface GroundedSentence {
  sentence: string;
  /** the generator's id when its sentence passed the check; absent for the template */
  by?: string;
  /** names the rejected generated sentence held that the reasons do not */
  rejected?: string[];
}

/**
 * A generated sentence for the reasons, checked; the template when the model fails, times out
 * (`timeoutMs`, whether or not it honours the abort), or names something not in the reasons.
 * Never throws.
 */
export async function groundedSentence(
  generator: Generator,
  r: SentenceReasons,
  known: KnownNames,
  opts: { timeoutMs: number; name?: ScenarioNames; signal?: AbortSignal },
): Promise<GroundedSentence> {
  const name = opts.name ?? ((s: string) => s);
  const template = templateSentence(r, name);
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const reply = await Promise.race([
      generator.complete(
        [
          {
            role: 'system',
            content:
              'You tell a user in one short sentence (at most 30 words) why an item is recommended to them. ' +
              'Use only the facts given. Name no product, artist, title, brand or app section that the facts do not name. ' +
              'Write in the language of the item titles. Reply with the sentence only.',
          },
          { role: 'user', content: facts(r, name) },
        ],
        { maxTokens: 80, temperature: 0.2, signal: ctl.signal },
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ctl.abort();
          reject(new Error('timed out'));
        }, opts.timeoutMs);
      }),
    ]);
    const text = cleanReply(reply);
    if (!text) return { sentence: template };
    const bad = ungroundedNames(text, r, known, name);
    if (bad.length > 0) return { sentence: template, rejected: bad };
    return { sentence: text, by: generator.id };
  } catch {
    // a model that hangs, fails or talks garbage only costs the nicer wording
    return { sentence: template };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
