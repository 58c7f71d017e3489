/**
 * Generated interest summaries. With a generator configured, the first read of a profile whose
 * interests changed answers with the template summaries and starts writing one sentence per new
 * interest in the background; later reads show them. Cached per user by the interest's content
 * (its label and representative items), so an unchanged interest is never sent twice, and
 * forgotten with the user.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { summariseInterest } from '../generate/summarise.ts';
import type { Generator } from '../generate/types.ts';
import type { InterestCentre } from '../profile/types.ts';
import type { Store } from '../store/types.ts';

/** items of an interest shown to the model */
const ITEMS = 12;
/** interests summarised at once in the background; more wait for a later read */
const BACKGROUND = 2;

export interface GeneratedSummary {
  text: string;
  by: string;
}

export class InterestSummaries {
  private readonly cache = new LRUCache<string, GeneratedSummary | false>({ max: 50_000 });
  private readonly running = new Set<string>();
  private readonly abort = new AbortController();

  constructor(
    private readonly d: {
      store: Store;
      generator: Generator;
      itemIds: readonly string[];
    },
  ) {}

  private key(user: string, c: InterestCentre): string {
    const ids = c.members.slice(0, ITEMS).map((i) => this.d.itemIds[i] ?? '');
    return `${user}\u0000${createHash('sha256')
      .update(JSON.stringify([c.label, ids]))
      .digest('base64url')}`;
  }

  /** the generated summary of the interest, or undefined (then one is started in the background) */
  get(user: string, c: InterestCentre): GeneratedSummary | undefined {
    const key = this.key(user, c);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit || undefined;
    if (this.running.size < BACKGROUND && !this.running.has(key) && !this.abort.signal.aborted)
      void this.run(key, c);
    return undefined;
  }

  private async run(key: string, c: InterestCentre): Promise<void> {
    this.running.add(key);
    try {
      const ids = c.members.slice(0, ITEMS).map((i) => this.d.itemIds[i]!);
      const items = await this.d.store.items.getMany(ids);
      const s = await summariseInterest(
        { items },
        { generator: this.d.generator, signal: this.abort.signal },
      );
      // a failed generation is remembered too: the template stands until the interest changes
      if (!this.abort.signal.aborted)
        this.cache.set(key, s.generated ? { text: s.text, by: this.d.generator.id } : false);
    } catch {
      // the store closed or the item went away: the template stands
    } finally {
      this.running.delete(key);
    }
  }

  forget(user: string): void {
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${user}\u0000`)) this.cache.delete(key);
  }

  close(): void {
    this.abort.abort();
    this.cache.clear();
  }
}
