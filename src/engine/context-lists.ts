/**
 * Non-personalised lists per scenario and context: trending (events in a window, each weighted by
 * its age with a half-life), popular (events in a window, or all) and new (items by `createdAt`).
 *
 * Every positive event is kept in compact per-scenario columns (item, time, device, hour band,
 * user) as it arrives, so a list for any context (a device, an hour band, both) is one pass over
 * the scenario's events, cached until the next event or item change. Counters per context key
 * could not slide their window; a pass over typed columns costs about a millisecond per hundred
 * thousand events. A context with fewer than `minContextEvents` events in the window falls back
 * to the overall list and says so.
 */
import type { EngineConfig } from '../config/engine.ts';
import type { Context } from '../core/types.ts';
import { type HourBand, hourBandOf, hourOf } from '../model/context.ts';
import { BAND_CODES, Codes, Columns, type ListLog } from './list-log.ts';

const DAY_MS = 86_400_000;

export type ListKind = 'trending' | 'popular' | 'new';

export interface ListContext {
  device?: string | undefined;
  band?: HourBand | undefined;
}

interface ListItem {
  item: string;
  title: string;
  /** trending: the age-weighted count; popular: the count; new: `createdAt` */
  score: number;
  /** events in the window (and context) */
  count: number;
  createdAt?: number;
}

export interface ListAnswer {
  list: ListKind;
  scenario: string;
  /** epoch ms: `from` null = unbounded; `to` the latest event (new: the newest item) */
  window: { from: number | null; to: number | null; days: number | null; halfLifeDays?: number };
  context: {
    device?: string;
    band?: HourBand;
    /** whether the list was ranked on the context's events alone */
    applied: boolean;
    /** events in the window in the requested context (all events when none was asked for) */
    events: number;
    /** why the context was not applied */
    fallback?: string;
  };
  items: ListItem[];
}

/** what the lists read from the engine's model, by dense item index */
export interface ListSources {
  itemIds: readonly string[];
  titles: readonly string[];
  scenarios: readonly string[];
  scenarioCode: ArrayLike<number>;
  scenarioItems: readonly ArrayLike<number>[];
  available: ArrayLike<number>;
}

interface Ranked {
  items: number[];
  score: Float64Array;
  count: Int32Array;
}

const CACHE_MAX = 512;

export class ContextLists {
  private readonly cols: Columns[] = [];
  private devices = new Codes();
  private users = new Codes();
  /** latest event time: where every window ends */
  private maxTs = 0;
  private createdAt = new Float64Array(0);
  private version = 0;
  private readonly cache = new Map<string, { version: number; ranked: Ranked; events: number }>();

  constructor(private readonly options: EngineConfig['lists']) {}

  /** a positive event of an item in scenario `code` (held-out and negative events are not passed) */
  add(code: number, item: number, user: string, ts: number, context: Context | undefined): void {
    let c = this.cols[code];
    if (!c) {
      while (this.cols.length <= code) this.cols.push(new Columns());
      c = this.cols[code]!;
    }
    c.push(
      item,
      ts,
      this.devices.of(context?.device),
      BAND_CODES[hourBandOf(hourOf(context, ts))],
      this.users.of(user),
    );
    if (ts > this.maxTs) this.maxTs = ts;
    this.version++;
  }

  /**
   * Replaces the events with a log's (a boot snapshot's plus its tail, boot.ts), each row in its
   * item's scenario: the same columns as adding the log's events one by one.
   */
  load(log: ListLog, scenarioCode: ArrayLike<number>): void {
    this.cols.length = 0;
    this.devices = new Codes(log.devices.names());
    this.users = new Codes(log.users.names());
    const r = log.rows;
    let maxTs = 0;
    for (let k = 0; k < r.len; k++) {
      const code = scenarioCode[r.item[k]!]!;
      while (this.cols.length <= code) this.cols.push(new Columns());
      this.cols[code]!.push(r.item[k]!, r.ts[k]!, r.device[k]!, r.band[k]!, r.user[k]!);
      if (r.ts[k]! > maxTs) maxTs = r.ts[k]!;
    }
    this.maxTs = maxTs;
    this.version++;
  }

  /** items' creation times (epoch ms; NaN = unknown), by dense index */
  setCreated(item: number, createdAt: number | undefined): void {
    if (item >= this.createdAt.length) {
      const grown = new Float64Array(Math.max(item + 1, this.createdAt.length * 2)).fill(Number.NaN);
      grown.set(this.createdAt);
      this.createdAt = grown;
    }
    this.createdAt[item] = createdAt ?? Number.NaN;
    this.version++;
  }

  /** an item changed (deleted, made unavailable): cached lists are stale */
  invalidate(): void {
    this.version++;
  }

  /** takes every event of the user out (an erased user) */
  forgetUser(user: string): void {
    const u = this.users.forget(user);
    if (u === undefined) return;
    for (const c of this.cols) c.filter((r) => c.user[r] === u);
    this.version++;
  }

  list(
    kind: ListKind,
    code: number,
    scenario: string,
    n: number,
    ctx: ListContext,
    s: ListSources,
  ): ListAnswer {
    const o = this.options;
    const asked = {
      ...(ctx.device !== undefined ? { device: ctx.device } : {}),
      ...(ctx.band ? { band: ctx.band } : {}),
    };
    const contextual = ctx.device !== undefined || ctx.band !== undefined;
    if (kind === 'new') {
      const items = this.newest(s, code);
      const to = items.length > 0 ? this.createdAt[items[0]!]! : null;
      const from = to === null ? null : to - o.newDays * DAY_MS;
      const inWindow = from === null ? [] : items.filter((i) => this.createdAt[i]! >= from);
      return {
        list: kind,
        scenario,
        window: { from, to, days: o.newDays },
        context: {
          ...asked,
          applied: false,
          events: 0,
          ...(contextual ? { fallback: 'the new list is the same in every context' } : {}),
        },
        items: inWindow.slice(0, n).map((i) => ({
          item: s.itemIds[i]!,
          title: s.titles[i] ?? '',
          score: this.createdAt[i]!,
          count: 0,
          createdAt: this.createdAt[i]!,
        })),
      };
    }
    const days = kind === 'trending' ? o.trendingDays : o.popularDays;
    const to = this.maxTs > 0 ? this.maxTs : null;
    const from = days > 0 && to !== null ? to - days * DAY_MS : null;
    const halfLife = kind === 'trending' ? o.trendingHalfLifeDays * DAY_MS : 0;
    let ranked = this.ranked(s, kind, code, from, halfLife, ctx);
    let fallback: string | undefined;
    const events = ranked.events;
    if (contextual && events < o.minContextEvents) {
      fallback = `${events} events in this context in the window, fewer than engine.lists.minContextEvents (${o.minContextEvents}): the overall list`;
      ranked = this.ranked(s, kind, code, from, halfLife, {});
    }
    const r = ranked.ranked;
    return {
      list: kind,
      scenario,
      window: {
        from,
        to,
        days: days > 0 ? days : null,
        ...(kind === 'trending' ? { halfLifeDays: o.trendingHalfLifeDays } : {}),
      },
      context: {
        ...asked,
        applied: contextual && fallback === undefined,
        events,
        ...(fallback ? { fallback } : {}),
      },
      items: r.items.slice(0, n).map((i, k) => ({
        item: s.itemIds[i]!,
        title: s.titles[i] ?? '',
        score: r.score[k]!,
        count: r.count[k]!,
        ...(Number.isFinite(this.createdAt[i]) ? { createdAt: this.createdAt[i]! } : {}),
      })),
    };
  }

  /** available items of the scenario with a `createdAt`, newest first */
  private newest(s: ListSources, code: number): number[] {
    const key = `new|${code}`;
    const hit = this.cache.get(key);
    if (hit?.version === this.version) return hit.ranked.items;
    const items = Array.from(s.scenarioItems[code] ?? []).filter(
      (i) => s.available[i] && Number.isFinite(this.createdAt[i]),
    );
    items.sort((a, b) => this.createdAt[b]! - this.createdAt[a]! || a - b);
    this.remember(key, { items, score: new Float64Array(0), count: new Int32Array(0) }, 0);
    return items;
  }

  private ranked(
    s: ListSources,
    kind: ListKind,
    code: number,
    from: number | null,
    halfLife: number,
    ctx: ListContext,
  ): { ranked: Ranked; events: number } {
    const key = `${kind}|${code}|${ctx.device ?? ''}|${ctx.band ?? ''}`;
    const hit = this.cache.get(key);
    if (hit?.version === this.version) return hit;
    const c = this.cols[code];
    const score = new Map<number, number>();
    const count = new Map<number, number>();
    let events = 0;
    const device = ctx.device === undefined ? undefined : (this.devices.map.get(ctx.device) ?? -2);
    const band = ctx.band === undefined ? undefined : BAND_CODES[ctx.band];
    const start = from ?? Number.NEGATIVE_INFINITY;
    for (let r = 0; c && r < c.len; r++) {
      const ts = c.ts[r]!;
      if (ts < start) continue;
      if (device !== undefined && c.device[r] !== device) continue;
      if (band !== undefined && c.band[r] !== band) continue;
      const i = c.item[r]!;
      if (!s.available[i]) continue;
      events++;
      const w = halfLife > 0 ? 0.5 ** ((this.maxTs - ts) / halfLife) : 1;
      score.set(i, (score.get(i) ?? 0) + w);
      count.set(i, (count.get(i) ?? 0) + 1);
    }
    const items = [...score.keys()].sort(
      (a, b) => score.get(b)! - score.get(a)! || count.get(b)! - count.get(a)! || a - b,
    );
    const ranked: Ranked = {
      items,
      score: Float64Array.from(items, (i) => score.get(i)!),
      count: Int32Array.from(items, (i) => count.get(i)!),
    };
    return this.remember(key, ranked, events);
  }

  private remember(
    key: string,
    ranked: Ranked,
    events: number,
  ): { ranked: Ranked; events: number; version: number } {
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    const entry = { version: this.version, ranked, events };
    this.cache.set(key, entry);
    return entry;
  }
}
