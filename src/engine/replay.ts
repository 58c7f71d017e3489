/**
 * Offline replay of the exploration slot: a candidate slot policy's click-through estimated from
 * logged impressions with self-normalised inverse propensity scoring (SNIPS). Each explored slot
 * is a sample: the item the logging policy drew with probability q, whether it was clicked, and
 * the probability p the candidate gives that same item. The estimate is sum(w r) / sum(w) with
 * w = p / q; its 95 % interval comes from the delta-method variance sum(w^2 (r - V)^2) / sum(w)^2.
 * Where the candidate puts its mass on items the log never drew (no overlap), or on too few
 * samples (effective sample size below `minEffective`), there is no estimate, and the answer says so.
 */
import type { Attribution, DataStore, Impression } from '../store/data/types.ts';
import { Z95 } from './experiment-stats.ts';

export interface Sample {
  /** the logging policy's probability of the logged item */
  q: number;
  /** the candidate's probability of the logged item */
  p: number;
  /** 1 when the logged item was clicked */
  r: number;
}

export type ReplayEstimate =
  | { supported: true; estimate: number; low: number; high: number; samples: number; effective: number }
  | { supported: false; reason: string; samples: number; effective: number };

export function snips(samples: readonly Sample[], minEffective = 10): ReplayEstimate {
  let sw = 0;
  let sw2 = 0;
  let swr = 0;
  for (const s of samples) {
    const w = s.p / s.q;
    sw += w;
    sw2 += w * w;
    swr += w * s.r;
  }
  const effective = sw2 > 0 ? (sw * sw) / sw2 : 0;
  const n = samples.length;
  if (n === 0)
    return { supported: false, reason: 'the log holds no explored slot', samples: 0, effective: 0 };
  if (sw === 0)
    return {
      supported: false,
      reason: 'no overlap: the candidate never picks an item the log drew',
      samples: n,
      effective,
    };
  if (effective < minEffective)
    return {
      supported: false,
      reason: `too little overlap: effective sample size ${effective.toFixed(1)} < ${minEffective}`,
      samples: n,
      effective,
    };
  const v = swr / sw;
  let num = 0;
  for (const s of samples) {
    const w = s.p / s.q;
    num += w * w * (s.r - v) ** 2;
  }
  const half = Z95 * Math.sqrt(num / (sw * sw));
  return {
    supported: true,
    estimate: v,
    low: Math.max(0, v - half),
    high: Math.min(1, v + half),
    samples: n,
    effective,
  };
}

/** a candidate slot policy: its probability of `item` in the explored slot of `imp` */
export type SlotPolicy = (imp: Impression, item: string) => number;

/**
 * The samples of an experiment's explored slots (items the slot's policy placed), a click
 * being an attribution of one of `clickTypes` to that item of that impression.
 */
export async function slotSamples(
  store: DataStore,
  experiment: string,
  candidate: SlotPolicy,
  clickTypes: ReadonlySet<string>,
): Promise<Sample[]> {
  const out: Sample[] = [];
  const explored = (i: Impression) => i.items.some((x) => x.explored);
  for await (const { imp, clicked } of clickedImpressions(store, experiment, explored, clickTypes))
    for (const x of imp.items)
      if (x.explored && x.propensity !== undefined)
        out.push({ q: x.propensity, p: candidate(imp, x.item), r: clicked(x.item) ? 1 : 0 });
  return out;
}

/**
 * The experiment's logged impressions that `keep` accepts, read page by page, each with whether
 * an attribution of one of `clickTypes` credits one of its items.
 */
export async function* clickedImpressions(
  store: DataStore,
  experiment: string,
  keep: (imp: Impression) => boolean,
  clickTypes: ReadonlySet<string>,
): AsyncGenerator<{ imp: Impression; clicked: (item: string) => boolean }> {
  let after: number | undefined = 0;
  while (after !== undefined) {
    const page = await store.impressions.scan({ experiment, afterSeq: after, limit: 2000 });
    const kept = page.impressions.filter(keep);
    const credits: Attribution[] = await store.impressions.attributionsOf(kept.map((i) => i.id));
    const clicked = new Set(
      credits.filter((a) => clickTypes.has(a.type)).map((a) => `${a.impression}\u0000${a.item}`),
    );
    for (const imp of kept) yield { imp, clicked: (item) => clicked.has(`${imp.id}\u0000${item}`) };
    after = page.next;
  }
}
