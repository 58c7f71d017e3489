/**
 * The `sentence` of each explanation. Without a generator: the template from the structured
 * reasons (generate/ground.ts). With one: a recommendation never waits for it; the response
 * carries the sentence already generated for the same reasons (cached by their hash) or the
 * template, and the top of the list is generated in the background for the next request.
 * `/v1/explain` waits for the generator up to `generator.explainTimeoutMs`, then answers with
 * the template. Every generated sentence is checked against the reasons before it is kept.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  type GroundedSentence,
  groundedSentence,
  KnownNames,
  type ScenarioNames,
  type SentenceReasons,
  templateSentence,
} from '../generate/ground.ts';
import type { Generator } from '../generate/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { Explanation } from './types.ts';

export interface SentenceOptions {
  model: ScoringModel;
  scenarioName: ScenarioNames;
  generator?: Generator | undefined;
  /** longest wait for a generated sentence on `/v1/explain` */
  timeoutMs: number;
  /** recommendations per response whose sentence is generated in the background */
  top: number;
}

/** generations running at once in the background; more are dropped (asked again next time) */
const BACKGROUND = 2;
const CACHE = 20_000;

export interface SentenceStats {
  generated: number;
  rejected: number;
  failed: number;
}

export class ExplanationSentences {
  private readonly cache = new LRUCache<string, GroundedSentence>({ max: CACHE });
  private readonly running = new Map<string, Promise<GroundedSentence>>();
  private readonly abort = new AbortController();
  private known: { items: number; names: KnownNames } | undefined;
  readonly stats: SentenceStats = { generated: 0, rejected: 0, failed: 0 };

  constructor(private readonly o: SentenceOptions) {}

  private reasons(item: { title: string; scenario: string }, e: Explanation): SentenceReasons {
    return {
      item,
      retriever: e.retriever,
      ...(e.interest ? { interest: { label: e.interest.label } } : {}),
      history: e.history.map((h) => ({ title: h.title, scenario: h.scenario })),
      context: e.context,
    };
  }

  /** the catalog's titles and scenario names, rebuilt when the catalog grew */
  private names(): KnownNames {
    const m = this.o.model;
    if (!this.known || this.known.items !== m.numItems)
      this.known = {
        items: m.numItems,
        names: new KnownNames(m.titles, [...m.scenarios, ...m.scenarios.map(this.o.scenarioName)]),
      };
    return this.known.names;
  }

  private start(key: string, r: SentenceReasons, generator: Generator): Promise<GroundedSentence> {
    let p = this.running.get(key);
    if (!p) {
      p = groundedSentence(generator, r, this.names(), {
        timeoutMs: this.o.timeoutMs,
        name: this.o.scenarioName,
        signal: this.abort.signal,
      }).then((g) => {
        this.running.delete(key);
        if (g.by) this.stats.generated++;
        else if (g.rejected) this.stats.rejected++;
        else this.stats.failed++;
        // a rejected or failed generation is not asked again for the same reasons
        this.cache.set(key, g);
        return g;
      });
      this.running.set(key, p);
    }
    return p;
  }

  /**
   * Fills `reasons.sentence` of a response's items at once (cached or template) and starts the
   * generation of the top items' sentences in the background.
   */
  fill(items: readonly { title: string; scenario: string; reasons: Explanation }[]): void {
    const gen = this.o.generator;
    items.forEach((it, rank) => {
      const r = this.reasons(it, it.reasons);
      if (!gen) {
        it.reasons.sentence = templateSentence(r, this.o.scenarioName);
        return;
      }
      const key = keyOf(r);
      const hit = this.cache.get(key);
      it.reasons.sentence = hit?.sentence ?? templateSentence(r, this.o.scenarioName);
      if (!hit && rank < this.o.top && this.running.size < BACKGROUND && !this.abort.signal.aborted)
        void this.start(key, r, gen);
    });
  }

  /** The sentence for one explanation: generated and checked within the timeout, else the template. */
  async explain(item: { title: string; scenario: string }, e: Explanation): Promise<string> {
    const r = this.reasons(item, e);
    const gen = this.o.generator;
    if (!gen || this.abort.signal.aborted) return templateSentence(r, this.o.scenarioName);
    const key = keyOf(r);
    const hit = this.cache.get(key);
    if (hit) return hit.sentence;
    return (await this.start(key, r, gen)).sentence;
  }

  /** drops every cached sentence (a user was erased: theirs cite their past items) */
  forgetAll(): void {
    this.cache.clear();
  }

  /** stops the generations in flight (they resolve to the template) */
  close(): void {
    this.abort.abort();
    this.cache.clear();
  }
}

function keyOf(r: SentenceReasons): string {
  return createHash('sha256').update(JSON.stringify(r)).digest('base64url');
}
