/**
 * Comment and review sentiment from the generator, off the request path. Text the English
 * analyser cannot read (mostly outside the Latin script: Chinese, Japanese, Cyrillic, ...) is
 * asked of the generator in the background, every such text and not only those the Chinese
 * lexicon misses: the lexicon is a word-by-word translation that a hit does not make right.
 * Until the model answered, and for good when it cannot (timeout, garbage, unreachable), the
 * lexicon or neutral score stands; nothing that scores an event ever waits. When a score lands
 * that differs from the one used, the users whose profiles read the text are told, so their
 * profiles are rebuilt with it on their next read.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { generatedSentiment } from '../generate/sentiment.ts';
import type { Generator } from '../generate/types.ts';
import { needsModelSentiment, textSentiment } from '../profile/weights.ts';

/** texts asked at once */
const BACKGROUND = 2;
/** texts waiting their turn; past this a text is not queued now (asked when read again) */
const WAITING = 1000;
/** users remembered per text, to rebuild their profiles when its score lands */
const USERS_PER_TEXT = 1000;
const CACHE = 100_000;
/** a generated score this close to the one used changes no weight worth a rebuild */
const SAME = 0.05;

export interface ReviewSentimentStats {
  generated: number;
  failed: number;
  /** texts not queued because the queue was full */
  deferred: number;
}

interface Ask {
  text: string;
  users: Set<string>;
}

export class ReviewSentiment {
  /** generated score by text hash; false: the model gave no usable answer (not asked again) */
  private readonly cache = new LRUCache<string, number | false>({ max: CACHE });
  private readonly waiting = new Map<string, Ask>();
  private readonly running = new Map<string, Ask>();
  private readonly abort = new AbortController();
  readonly stats: ReviewSentimentStats = { generated: 0, failed: 0, deferred: 0 };

  constructor(
    private readonly d: {
      generator: Generator;
      /** users whose profiles read a text whose generated score differs from the one they got */
      onScored: (users: readonly string[]) => void;
    },
  ) {}

  /** the text's score now: generated when known, else the analysers' (and the model is asked) */
  score(text: string, user?: string): number {
    if (!needsModelSentiment(text)) return textSentiment(text);
    const key = createHash('sha256').update(text).digest('base64url');
    const hit = this.cache.get(key);
    if (typeof hit === 'number') return hit;
    if (hit === undefined) this.ask(key, text, user);
    return textSentiment(text);
  }

  private ask(key: string, text: string, user: string | undefined): void {
    if (this.abort.signal.aborted) return;
    const known = this.waiting.get(key) ?? this.running.get(key);
    if (known) {
      if (user !== undefined && known.users.size < USERS_PER_TEXT) known.users.add(user);
      return;
    }
    if (this.waiting.size >= WAITING) {
      this.stats.deferred++;
      return;
    }
    this.waiting.set(key, { text, users: new Set(user === undefined ? [] : [user]) });
    this.next();
  }

  private next(): void {
    for (const [key, ask] of this.waiting) {
      if (this.running.size >= BACKGROUND || this.abort.signal.aborted) return;
      this.waiting.delete(key);
      this.running.set(key, ask);
      void this.run(key, ask);
    }
  }

  private async run(key: string, ask: Ask): Promise<void> {
    const v = await generatedSentiment(ask.text, { generator: this.d.generator, signal: this.abort.signal });
    this.running.delete(key);
    if (this.abort.signal.aborted) return;
    this.cache.set(key, v ?? false);
    if (v === undefined) this.stats.failed++;
    else {
      this.stats.generated++;
      if (ask.users.size > 0 && Math.abs(v - textSentiment(ask.text)) > SAME) this.d.onScored([...ask.users]);
    }
    this.next();
  }

  /** the user's texts waiting for the model are dropped (they were erased) */
  forget(user: string): void {
    for (const [key, ask] of this.waiting) if (ask.users.has(user)) this.waiting.delete(key);
    for (const ask of this.running.values()) ask.users.delete(user);
  }

  /** stops the calls in flight; scores stay the analysers' from here on */
  close(): void {
    this.abort.abort();
    this.waiting.clear();
    this.cache.clear();
  }
}
