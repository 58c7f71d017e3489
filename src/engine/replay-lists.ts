/**
 * Offline replay of whole lists: a candidate ranking's clicks per served list, estimated from
 * logged impressions with the item-position model estimator of Li, Kim and Zitouni (2018,
 * "Offline evaluation of ranking policies with click models"), self-normalised per position.
 *
 * The item-position model assumes that a click on item a at position k depends on the request,
 * a and k only, not on the rest of the list (true of the position-based click model). Then a
 * list's expected clicks are the sum over positions of P(click | a, k), and position k of the
 * candidate is estimated from the logged lists that happened to show the candidate's item there:
 *
 *   V_k = sum_i w_ik c_ik / sum_i w_ik,   w_ik = [A_ik = cand_ik] / mu(A_ik, k),   V = sum_k V_k
 *
 * with mu the logged marginal propensity of the shown item (randomize.ts, explore.ts). The
 * interval is the delta method with the list as the unit (positions of one list are correlated
 * through one shuffle): Var = sum_i (sum_k w_ik (c_ik - V_k) / S_k)^2. An exploration slot of the
 * log is kept by the candidate (served by the same slot policy): weight 1. Positions the candidate
 * leaves empty add nothing (weight 1, no click).
 *
 * Where the candidate puts an item the logging policy could not have shown there (mu = 0), no
 * logged list can speak for it and self-normalisation would silently answer for another
 * population: below `minSupport` of such (list, position) pairs covered, or an effective sample
 * size (S_k^2 / sum w^2) below `minEffective` at some position, there is no estimate.
 */
import type { DataStore, Impression } from '../store/data/types.ts';
import { Z95 } from './experiment-stats.ts';
import { marginal } from './randomize.ts';
import { clickedImpressions } from './replay.ts';

export interface ListSample {
  /** the logged list, by position */
  shown: readonly { item: string; propensity: number; clicked: boolean; explored: boolean }[];
  /** the candidate's list for the same request */
  candidate: readonly string[];
  /** mu(item, position) of the logging policy for this request; 0 outside its support */
  support: (item: string, position: number) => number;
}

interface Common {
  /** logged lists read */
  samples: number;
  /** the smallest effective sample size over the candidate's positions */
  effective: number;
  /** share of the candidate's (list, position) pairs the logging policy could have shown */
  support: number;
}

export type ListEstimate =
  | (Common & { supported: true; estimate: number; low: number; high: number })
  | (Common & { supported: false; reason: string });

export interface ListReplayOptions {
  minEffective?: number;
  minSupport?: number;
}

export function listSnips(lists: readonly ListSample[], opts: ListReplayOptions = {}): ListEstimate {
  const minEffective = opts.minEffective ?? 10;
  const minSupport = opts.minSupport ?? 0.99;
  const K = lists.reduce((m, l) => Math.max(m, l.candidate.length), 0);
  const S = new Float64Array(K);
  const S2 = new Float64Array(K);
  const R = new Float64Array(K);
  let pairs = 0;
  let covered = 0;
  // weights and clicks per list, kept for the variance pass
  const rows: { w: number[]; c: number[] }[] = [];
  for (const l of lists) {
    const w: number[] = [];
    const c: number[] = [];
    for (let k = 0; k < K; k++) {
      const cand = l.candidate[k];
      const shown = l.shown[k];
      let wk = 0;
      let ck = 0;
      if (cand === undefined) wk = 1;
      else if (shown?.explored) {
        wk = 1;
        ck = Number(shown.clicked);
      } else {
        pairs++;
        if (l.support(cand, k) > 0) covered++;
        if (shown && shown.item === cand && shown.propensity > 0) {
          wk = 1 / shown.propensity;
          ck = Number(shown.clicked);
        }
      }
      S[k]! += wk;
      S2[k]! += wk * wk;
      R[k]! += wk * ck;
      w.push(wk);
      c.push(ck);
    }
    rows.push({ w, c });
  }
  const support = pairs > 0 ? covered / pairs : 1;
  let effective = Number.POSITIVE_INFINITY;
  for (let k = 0; k < K; k++) effective = Math.min(effective, S2[k]! > 0 ? S[k]! ** 2 / S2[k]! : 0);
  if (K === 0) effective = 0;
  const common = { samples: lists.length, effective, support };
  if (lists.length === 0 || K === 0)
    return { ...common, supported: false, reason: 'the log holds no list to replay' };
  if (support < minSupport)
    return {
      ...common,
      supported: false,
      reason: `no overlap: the logging policy could have shown the candidate's item in only ${(100 * support).toFixed(1)} % of its places (at least ${100 * minSupport} % needed)`,
    };
  const empty = S.indexOf(0);
  if (empty >= 0)
    return {
      ...common,
      supported: false,
      reason: `no overlap at position ${empty}: no logged list showed the candidate's item there`,
    };
  if (effective < minEffective)
    return {
      ...common,
      supported: false,
      reason: `too little overlap: effective sample size ${effective.toFixed(1)} < ${minEffective} at some position`,
    };
  const V = Array.from(R, (r, k) => r / S[k]!);
  const estimate = V.reduce((s, v) => s + v, 0);
  let variance = 0;
  for (const { w, c } of rows) {
    let psi = 0;
    for (let k = 0; k < K; k++) psi += (w[k]! * (c[k]! - V[k]!)) / S[k]!;
    variance += psi * psi;
  }
  const half = Z95 * Math.sqrt(variance);
  return { ...common, supported: true, estimate, low: Math.max(0, estimate - half), high: estimate + half };
}

/** the candidate's list for a logged request (undefined: the candidate cannot answer it) */
export type ListPolicy = (imp: Impression) => Promise<readonly string[] | undefined>;

/**
 * The samples of an experiment's logged lists for a candidate ranking, a click being an
 * attribution of one of `clickTypes` to that item of that impression. Interleaved lists are left
 * out (the draft's own randomness is not logged as a propensity); a list logged without
 * randomization supports only itself (each shown item at its place, probability 1).
 */
export async function listSamples(
  store: DataStore,
  experiment: string,
  candidate: ListPolicy,
  clickTypes: ReadonlySet<string>,
): Promise<ListSample[]> {
  const out: ListSample[] = [];
  const notInterleaved = (i: Impression) => !i.items.some((x) => x.team !== undefined);
  for await (const { imp, clicked } of clickedImpressions(store, experiment, notInterleaved, clickTypes)) {
    const cand = await candidate(imp);
    if (!cand) continue;
    const randomized = imp.randomized;
    out.push({
      shown: imp.items.map((x) => ({
        item: x.item,
        propensity: x.propensity ?? 1,
        clicked: clicked(x.item),
        explored: x.explored === true,
      })),
      candidate: cand,
      support: randomized
        ? (item, k) => marginal(randomized, item, k)
        : (item, k) => (imp.items[k]?.item === item ? 1 : 0),
    });
  }
  return out;
}
