/**
 * Bootstrap-averaged weights (bagging) for the ranker fit. Coordinate ascent jumps between grid
 * steps, so the weights it picks move with the few cases that tip a step, and a fit on another
 * sample of the same population serves other weights (docs/results.md: Beauty's popularity weight
 * 0.02 on one sample of fitting cases, 1.50 on another). Fitting on `bags` bootstrap resamples of
 * the cases and averaging the weights keeps what most resamples agree on and shrinks what a few
 * cases decided. The weights share one scale (knnSame is fixed at 1 in every fit), so their mean
 * is a ranker of the same form.
 */

import { seededRandom } from '../../core/rng.ts';
import { type fitCross, fitOwn } from './ascent.ts';
import { poolNdcg } from './objective.ts';
import { ownView, type Pool } from './pools.ts';

/** `bags` resamples of n case indices with replacement, each seeded from `seed` */
export function bootstrapSamples(n: number, bags: number, seed: number): number[][] {
  return Array.from({ length: bags }, (_, b) => {
    const random = seededRandom((seed ^ 0xba66) + 7919 * b);
    return Array.from({ length: n }, () => Math.floor(random() * n)).sort((x, y) => x - y);
  });
}

/** the element-wise mean of equally long weight vectors */
export function meanWeights(ws: readonly (readonly number[])[]): number[] {
  const out = new Array<number>(ws[0]?.length ?? 0).fill(0);
  for (const w of ws) for (let k = 0; k < out.length; k++) out[k]! += w[k]!;
  // summed first, divided once: weights every bag agrees on come out exactly as fitted
  return out.map((x) => x / ws.length);
}

/**
 * The mean over the bags of keyed weights (per scenario, per history bucket). A bag without a key
 * contributes what a query of that key would be served in that bag (`fallback`); a key is kept
 * only where at least half the bags fitted it: a key that few resamples support is the noise the
 * bagging is there to remove.
 */
export function meanKeyed<B>(
  bags: readonly B[],
  keyed: (bag: B) => Readonly<Record<string, readonly number[]>>,
  fallback: (bag: B, key: string) => readonly number[],
): Record<string, number[]> {
  const keys = [...new Set(bags.flatMap((b) => Object.keys(keyed(b))))].sort();
  const out: Record<string, number[]> = {};
  for (const key of keys) {
    const present = bags.filter((b) => keyed(b)[key] !== undefined).length;
    if (2 * present < bags.length) continue;
    out[key] = meanWeights(bags.map((b) => keyed(b)[key] ?? fallback(b, key)));
  }
  return out;
}

type OwnFit = ReturnType<typeof fitOwn>;
type CrossFit = ReturnType<typeof fitCross>;

/**
 * Stage 1 (fitOwn) on `bags` bootstrap resamples of the pools, averaged; its NDCG is that of the
 * averaged weights on all the pools' own rows
 */
export function baggedOwn(
  scenarios: readonly string[],
  pools: readonly Pool[],
  start: readonly number[],
  rounds: number,
  bags: number,
  seed: number,
  signal?: AbortSignal,
): OwnFit {
  const fits = bootstrapSamples(pools.length, bags, seed).map((idx) =>
    fitOwn(
      scenarios,
      idx.map((i) => pools[i]!),
      start,
      rounds,
      signal,
    ),
  );
  const shared = meanWeights(fits.map((f) => f.shared));
  const perScenario = meanKeyed(
    fits,
    (f) => f.perScenario,
    (f) => f.shared,
  );
  const views = pools.map(ownView);
  const ndcg =
    views.length > 0
      ? views.reduce((s, p) => s + poolNdcg([p], perScenario[p.scenario] ?? shared), 0) / views.length
      : 0;
  return { shared, perScenario, ndcg };
}

/**
 * Stage 2 (fitCross) on `bags` bootstrap resamples of its fitting cases, averaged: `fit(sample)`
 * runs the stage on the given positions of the fitting cases
 */
export function baggedCross(
  n: number,
  bags: number,
  seed: number,
  fit: (sample: readonly number[]) => CrossFit,
): CrossFit {
  const fits = bootstrapSamples(n, bags, seed ^ 0xc055).map(fit);
  const scenarioOf = (key: string) => key.slice(0, key.lastIndexOf('|'));
  return {
    shared: meanWeights(fits.map((f) => f.shared)),
    perScenario: meanKeyed(
      fits,
      (f) => f.perScenario,
      (f) => f.shared,
    ),
    perBucket: meanKeyed(
      fits,
      (f) => f.perBucket,
      (f, key) => f.perScenario[scenarioOf(key)] ?? f.shared,
    ),
  };
}
