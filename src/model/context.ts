/**
 * Context features: hour of day, weekday, device, location. An item's lift in a context is how
 * much more often it was consumed there than overall, smoothed, in log space.
 */
import type { Context } from '../core/types.ts';
import type { ContextStats } from './scoring.ts';

/** hour buckets of four hours keep the statistics dense enough to mean something */
const HOUR_BUCKET_HOURS = 4;

export function contextKeys(ctx: Context | undefined, ts: number | undefined): string[] {
  const keys: string[] = [];
  if (ctx?.device) keys.push(`device=${ctx.device}`);
  if (ctx?.location) keys.push(`location=${ctx.location}`);
  const hour =
    typeof ctx?.hour === 'number' ? ctx.hour : ts !== undefined ? new Date(ts).getUTCHours() : undefined;
  if (hour !== undefined) keys.push(`hour=${Math.floor(hour / HOUR_BUCKET_HOURS)}`);
  const weekday =
    typeof ctx?.weekday === 'number' ? ctx.weekday : ts !== undefined ? new Date(ts).getUTCDay() : undefined;
  if (weekday !== undefined) keys.push(`weekday=${weekday}`);
  return keys;
}

/** the hour of day an observation is made in: the context's own `hour`, else the UTC hour of `ts` */
export function hourOf(ctx: Context | undefined, ts: number): number {
  return typeof ctx?.hour === 'number' ? ctx.hour : new Date(ts).getUTCHours();
}

/**
 * The parts of the day non-personalised lists are kept per: unions of the four-hour buckets above
 * (20-04 night, 04-12 morning, 12-16 afternoon, 16-20 evening), so a band never splits a bucket.
 */
export const HOUR_BANDS = ['night', 'morning', 'afternoon', 'evening'] as const;
export type HourBand = (typeof HOUR_BANDS)[number];
const BAND_OF_BUCKET: readonly HourBand[] = ['night', 'morning', 'morning', 'afternoon', 'evening', 'night'];

export function hourBandOf(hour: number): HourBand {
  return BAND_OF_BUCKET[Math.floor(hour / 4)] ?? 'night';
}

export function recordContext(stats: ContextStats, keys: readonly string[], item: number): void {
  if (keys.length === 0) return;
  stats.all += 1;
  stats.items.set(item, (stats.items.get(item) ?? 0) + 1);
  for (const k of keys) {
    let m = stats.counts.get(k);
    if (!m) {
      m = new Map();
      stats.counts.set(k, m);
    }
    m.set(item, (m.get(item) ?? 0) + 1);
    stats.totals.set(k, (stats.totals.get(k) ?? 0) + 1);
  }
}

/** takes one observation recorded by `recordContext` back out (an erased user's event) */
export function forgetContext(stats: ContextStats, keys: readonly string[], item: number): void {
  if (keys.length === 0) return;
  const less = (m: Map<number, number> | Map<string, number>, k: number | string) => {
    const v = ((m as Map<number | string, number>).get(k) ?? 0) - 1;
    if (v > 0) (m as Map<number | string, number>).set(k, v);
    else (m as Map<number | string, number>).delete(k);
  };
  stats.all = Math.max(0, stats.all - 1);
  less(stats.items, item);
  for (const k of keys) {
    const m = stats.counts.get(k);
    if (m) less(m, item);
    less(stats.totals, k);
  }
}

/**
 * Log-lift of an item in one context key, clamped to [-2, 2]: its events in the key against its
 * events overall, smoothed towards no lift by 5 pseudo-events at the key's base rate `share`.
 */
function logLift(inCtx: number, itemCount: number, share: number): number {
  const lift = (inCtx + 5 * share) / ((itemCount + 5) * share);
  return Math.max(-2, Math.min(2, Math.log(lift)));
}

/** log lift of the item in each context key, 0 where there is no evidence */
export function contextLifts(
  stats: ContextStats,
  keys: readonly string[],
  item: number,
): { key: string; lift: number }[] {
  const out: { key: string; lift: number }[] = [];
  if (stats.all === 0) return out;
  for (const k of keys) {
    const total = stats.totals.get(k);
    if (!total) continue;
    const itemCount = stats.items.get(item) ?? 0;
    const inCtx = stats.counts.get(k)?.get(item) ?? 0;
    out.push({ key: k, lift: logLift(inCtx, itemCount, total / stats.all) });
  }
  return out;
}

/**
 * A request's context keys resolved against the context statistics once per scoring pass: the
 * per-key maps and shares `contextLifts` would look up again for every candidate.
 */
export interface ResolvedContext {
  keys: { counts: Map<number, number> | undefined; share: number }[];
  items: Map<number, number>;
}

/** undefined when there is nothing to resolve (no keys, or no event carried a context) */
export function resolveContextKeys(
  stats: ContextStats,
  ctxKeys: readonly string[],
): ResolvedContext | undefined {
  if (ctxKeys.length === 0 || stats.all === 0) return undefined;
  const keys: ResolvedContext['keys'] = [];
  for (const k of ctxKeys) {
    const total = stats.totals.get(k);
    if (!total) continue;
    keys.push({ counts: stats.counts.get(k), share: total / stats.all });
  }
  return { keys, items: stats.items };
}

/** summed log-lift of the item over the context keys: the same sum as `contextLifts`, without its allocations */
export function contextScore(c: ResolvedContext, item: number): number {
  let ctx = 0;
  const itemCount = c.items.get(item) ?? 0;
  for (const k of c.keys) ctx += logLift(k.counts?.get(item) ?? 0, itemCount, k.share);
  return ctx;
}

const HOUR_BUCKET_PHRASES = [
  'at night',
  'early in the morning',
  'in the morning',
  'in the afternoon',
  'in the evening',
  'late in the evening',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * A context feature as words, for explanations: `hour=4` (the bucket of `contextKeys`) is "in the
 * evening (16–20 h)", `weekday=0` "on Sundays", `device=mobile` "on mobile".
 */
export function contextPhrase(feature: string, value: string | number | boolean): string {
  const n = Number(value);
  if (feature === 'hour' && Number.isInteger(n) && HOUR_BUCKET_PHRASES[n])
    return `${HOUR_BUCKET_PHRASES[n]} (${n * HOUR_BUCKET_HOURS}–${(n + 1) * HOUR_BUCKET_HOURS} h)`;
  if (feature === 'weekday' && Number.isInteger(n) && WEEKDAYS[n]) return `on ${WEEKDAYS[n]}s`;
  if (feature === 'device') return `on ${String(value)}`;
  if (feature === 'location') return `in ${String(value)}`;
  return `${feature} ${String(value)}`;
}
