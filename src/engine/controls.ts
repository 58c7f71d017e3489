/**
 * A request's business controls, made ready for ranking: its filter (the request's and a named
 * one, and-ed), its boosts and its promotion, each parsed, type-checked against the catalog's
 * fields and compiled to a closure over item indices, with the user's events read when a history
 * predicate asks for them. Compiled filters are kept by their text, per catalog field version.
 */
import { LRUCache } from 'lru-cache';
import { validate } from '../core/validate.ts';
import type { FilterExpr } from '../rank/filter/ast.ts';
import { printFilter } from '../rank/filter/ast.ts';
import {
  type CompiledFilter,
  compileFilter,
  type FilterEnv,
  type UserEvents,
} from '../rank/filter/compile.ts';
import type { ItemFacts } from '../rank/filter/facts.ts';
import { filterFromJson } from '../rank/filter/json.ts';
import { parseFilter } from '../rank/filter/parse.ts';
import type { Store } from '../store/types.ts';
import {
  type FilterInput,
  filterNameSchema,
  type NamedFilter,
  type NamedFilterBody,
  type NamedFilters,
  namedFilterBodySchema,
} from './named-filters.ts';
import type { ValidRecommendRequest } from './requests.ts';
import type { FilterAdmin } from './types.ts';

interface ResolvedBoost {
  index: number;
  when: string;
  test: (item: number) => boolean;
  multiply: number;
  add: number;
}

export interface RequestControls {
  /** items the answer may hold; absent: every item the scenario's rules allow */
  filter?: ((item: number) => boolean) | undefined;
  /** the filter as text: names the candidates retrieved for it, kept like the plain ones */
  filterKey?: string | undefined;
  boosts: readonly ResolvedBoost[];
  promote?:
    | { accept: (item: number) => boolean; key: string; slots: number; placement: 'top' | 'spread' }
    | undefined;
}

export const NO_CONTROLS: RequestControls = { boosts: [] };

/** the most events of one user a history predicate reads */
const MAX_HISTORY_EVENTS = 10_000;

interface Compiled {
  filter: CompiledFilter;
  text: string;
}

export class Controls implements FilterAdmin {
  private readonly cache = new LRUCache<string, Compiled>({ max: 1000 });

  constructor(
    private readonly d: {
      facts: ItemFacts;
      named: NamedFilters;
      store: Pick<Store, 'events'>;
      /** item id -> dense index */
      index: ReadonlyMap<string, number>;
    },
  ) {}

  /** parses (text or JSON form) and type-checks a filter; `field` is where it came in the request */
  compile(input: FilterInput, field: string): Compiled {
    const key = `${field}\u0000${typeof input === 'string' ? input : JSON.stringify(input)}`;
    const hit = this.cache.get(key);
    if (hit && hit.filter.version === this.d.facts.version) return hit;
    const ast: FilterExpr =
      typeof input === 'string' ? parseFilter(input, field) : filterFromJson(input, field);
    const out = { filter: compileFilter(ast, this.d.facts, field), text: printFilter(ast) };
    this.cache.set(key, out);
    return out;
  }

  /** the request's controls, compiled and bound to the request time and the user's events */
  async resolve(req: ValidRecommendRequest, now: number): Promise<RequestControls> {
    if (req.filter === undefined && !req.filterName && !req.boosts?.length && !req.promote)
      return NO_CONTROLS;
    const parts: Compiled[] = [];
    if (req.filter !== undefined) parts.push(this.compile(req.filter, 'filter'));
    if (req.filterName) {
      const named = await this.d.named.require(req.filterName, 'filterName');
      parts.push(this.compile(named.filter, 'filterName'));
    }
    const boosts = (req.boosts ?? []).map((b, i) => ({
      b,
      i,
      c: this.compile(b.when, `boosts[${i}].when`),
    }));
    let promo: Compiled | undefined;
    if (req.promote) {
      const p = req.promote;
      promo = p.filterName
        ? this.compile(
            (await this.d.named.require(p.filterName, 'promote.filterName')).filter,
            'promote.filterName',
          )
        : this.compile(p.filter!, 'promote.filter');
    }
    const all = [...parts, ...boosts.map((x) => x.c), ...(promo ? [promo] : [])];
    const env: FilterEnv = { now };
    if (all.some((c) => c.filter.needsHistory)) {
      const window = Math.max(...all.map((c) => c.filter.historyWindow));
      // an anonymous session's request has no stored events (its items are in memory only)
      env.history =
        req.user === undefined ? { has: () => false } : await this.userEvents(req.user, now, window);
    }
    const tests = parts.map((c) => c.filter.bind(env));
    const filter =
      tests.length === 0
        ? undefined
        : tests.length === 1
          ? tests[0]
          : (i: number) => tests.every((t) => t(i));
    return {
      filter,
      filterKey: parts.map((c) => c.text).join(' and '),
      boosts: boosts.map(({ b, i, c }) => ({
        index: i,
        when: c.text,
        test: c.filter.bind(env),
        multiply: b.multiply ?? 1,
        add: b.add ?? 0,
      })),
      promote:
        promo && req.promote
          ? {
              accept: promo.filter.bind(env),
              key: promo.text,
              slots: req.promote.slots,
              placement: req.promote.placement,
            }
          : undefined,
    };
  }

  private async userEvents(user: string, now: number, window: number): Promise<UserEvents> {
    const events = await this.d.store.events.ofUser(user, {
      ...(Number.isFinite(window) ? { since: now - window } : {}),
      limit: MAX_HISTORY_EVENTS,
    });
    const byItem = new Map<number, { type: string; ts: number }[]>();
    for (const e of events) {
      const i = this.d.index.get(e.item);
      if (i === undefined) continue;
      let list = byItem.get(i);
      if (!list) {
        list = [];
        byItem.set(i, list);
      }
      list.push({ type: e.type, ts: e.ts });
    }
    return {
      has: (item, type, since) =>
        byItem.get(item)?.some((e) => e.ts >= since && (type === undefined || e.type === type)) ?? false,
    };
  }

  // the named-filter admin: checked against the catalog's fields before anything is stored

  list(): Promise<NamedFilter[]> {
    return this.d.named.list();
  }

  get(name: string): Promise<NamedFilter | undefined> {
    return this.d.named.get(name);
  }

  async set(name: string, body: NamedFilterBody): Promise<NamedFilter> {
    validate(filterNameSchema, name, { prefix: 'name' });
    const valid = validate(namedFilterBodySchema, body);
    this.compile(valid.filter, 'filter');
    return this.d.named.set(name, valid);
  }

  delete(name: string): Promise<boolean> {
    return this.d.named.delete(name);
  }
}
