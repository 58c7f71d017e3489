import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { untrainedSeqModel } from '../../tests/engine-fixture.ts';
import { seededRandom } from '../core/rng.ts';
import { buildScoringModel } from '../model/build.ts';
import { FEATURES, itemSpaceOf, NUM_FEATURES, type RankerWeights } from '../model/scoring.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../profile/interests.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { CROSS_SHARES } from './fit/accept.ts';
import { fitCross } from './fit/ascent.ts';
import { fullRankNdcg } from './fit/objective.ts';
import { bucketOf, canonicalOrder, splitCases } from './fit/split.ts';
import {
  ascend,
  buildPools,
  CROSS_FEATURES,
  fitRanker,
  type Pool,
  poolNdcg,
  type ValidCase,
} from './fit-ranker.ts';
import { PoolWorkers } from './pool-workers.ts';

/** a pool whose rows score by their first feature alone */
function pool(scores: number[], target: number, others: number[], relevant: number): Pool {
  const feats = new Float32Array(scores.length * NUM_FEATURES);
  scores.forEach((s, r) => {
    feats[r * NUM_FEATURES] = s;
  });
  return {
    scenario: 's',
    items: scores.map((_, i) => i),
    feats,
    size: scores.length,
    target,
    others,
    relevant,
    own: scores.length,
  };
}

const W = [1, ...Array.from({ length: NUM_FEATURES - 1 }, () => 0)];
const g = (rank: number) => 1 / Math.log2(rank + 2);

describe('pool NDCG@10 of the ranker fit', () => {
  it('one target: 1 / log2(rank + 2), ties against the target', () => {
    assert.equal(poolNdcg([pool([0.9, 0.5, 0.7], 1, [], 1)], W), g(2));
    assert.equal(poolNdcg([pool([0.5, 0.5], 1, [], 1)], W), g(1));
  });

  it('several targets: the multi-target NDCG@10 the harness reports', () => {
    // ranking: row 0 (target), row 3, row 2 (target); a third target is not in the pool
    const p = pool([0.9, 0.1, 0.5, 0.7], 0, [2], 3);
    const want = (g(0) + g(2)) / (g(0) + g(1) + g(2));
    assert.ok(Math.abs(poolNdcg([p], W) - want) < 1e-12);
    // every target on top: 1 when all are in the pool
    assert.equal(poolNdcg([pool([0.9, 0.8, 0.1], 0, [1], 2)], W), 1);
    // a competitor tied with a target counts against it
    const tied = poolNdcg([pool([0.5, 0.5, 0.9], 0, [2], 2)], W);
    assert.ok(Math.abs(tied - (g(0) + g(2)) / (g(0) + g(1))) < 1e-12);
  });
});

describe('cross-scenario features in the ranker fit', () => {
  const K = CROSS_FEATURES[0]!;
  /** two rows, the target row 1; `own` and `cross` are each row's own and cross-scenario features */
  function crossPool(own: [number, number], cross: [number, number]): Pool {
    const p = pool(own, 1, [], 1);
    p.feats[K] = cross[0];
    p.feats[NUM_FEATURES + K] = cross[1];
    return p;
  }
  // the cross feature lifts the target above its competitor, or a competitor above the target
  const helps = () => crossPool([0.6, 0.5], [0, 1]);
  const hurts = () => crossPool([0.5, 0.6], [1, 0]);

  it('adds a cross feature that helps both halves of the cases', () => {
    const pools = [helps(), helps(), helps(), helps()];
    const fit = ascend(
      pools,
      W,
      1,
      CROSS_FEATURES,
      pools.map((_, i) => (i % 2) as 0 | 1),
    );
    assert.ok(fit.weights[K]! > 0.1);
  });

  it('does not add one that helps one half and hurts the other, even when the total gains', () => {
    // half A: four cases it helps; half B: one it helps, two it hurts
    const a = [helps(), helps(), helps(), helps()];
    const b = [helps(), hurts(), hurts()];
    const all = [...a, ...b];
    assert.ok(
      poolNdcg(
        all,
        W.map((w, i) => (i === K ? 1 : w)),
      ) > poolNdcg(all, W),
    );
    const halfOf = all.map((_, i) => (i < a.length ? 0 : 1));
    assert.equal(ascend(all, W, 1, CROSS_FEATURES, halfOf).weights[K], 0);
    // unguarded, the ascent takes it
    assert.ok(ascend(all, W, 1, CROSS_FEATURES).weights[K]! > 0);
  });

  it('cold-start pools move their bucket alone, never the shared or the scenario weights', () => {
    // the real cases are hurt by the cross feature, the cold-start copies helped
    const warm = Array.from({ length: 4 }, hurts);
    const cold = Array.from({ length: 12 }, helps);
    const pools = [...warm, ...cold];
    const buckets = [...warm.map(() => 's|3-9'), ...cold.map(() => 's|0')];
    const half = pools.map((_, i) => (i % 2) as 0 | 1);
    const own = { shared: W, perScenario: {} };
    const fit = fitCross(
      ['s', 't'],
      pools,
      buckets,
      half,
      [...warm.map(() => false), ...cold.map(() => true)],
      own,
      1,
      4,
    );
    assert.equal(fit.shared[K], 0);
    assert.equal(fit.perScenario.s![K], 0);
    assert.ok(fit.perBucket['s|0']![K]! > 0, 'the copies fit their bucket');
    // counted as real cases, they would have moved the others' weights
    const mixed = fitCross(
      ['s', 't'],
      pools,
      buckets,
      half,
      pools.map(() => false),
      own,
      1,
      4,
    );
    assert.notDeepEqual(mixed.shared, fit.shared);
  });

  it('the bucket of no target-scenario history weighs every feature, the others the cross ones alone', () => {
    // popularity (not a cross feature) lifts the target above its competitor
    const P = FEATURES.indexOf('popularity');
    const popular = () => {
      const p = crossPool([0.6, 0.5], [0, 0]);
      p.feats[NUM_FEATURES + P] = 1;
      return p;
    };
    const pools = Array.from({ length: 24 }, popular);
    const fit = fitCross(
      ['s', 't'],
      pools,
      pools.map((_, i) => (i < 8 ? 's|0' : i < 16 ? 's|1-2' : 's|3-9')),
      pools.map((_, i) => (i % 2) as 0 | 1),
      pools.map(() => false),
      { shared: W, perScenario: {} },
      1,
      4,
    );
    assert.ok(fit.perBucket['s|0']![P]! > 0, 'no target history: popularity moved');
    assert.equal(fit.perBucket['s|1-2']![P], 0, 'one or two entries: own features untouched');
    assert.equal(fit.perBucket['s|3-9']![P], 0, 'with history: own features untouched');
    assert.equal(fit.shared[P], 0);
  });
});

describe('fitRanker and the model it is given', () => {
  // 80 items in two scenarios; users walk through neighbouring items, now and then across
  const rnd = seededRandom(3);
  const n = 80;
  const itemScenario = Array.from({ length: n }, (_, i) => (i < 50 ? 'a' : 'b'));
  const sequences = Array.from({ length: 120 }, () => {
    let cur = Math.floor(rnd() * n);
    return Array.from({ length: 4 + Math.floor(rnd() * 5) }, () => {
      const at = cur;
      cur = rnd() < 0.15 ? Math.floor(rnd() * n) : (cur + 1 + Math.floor(rnd() * 3)) % n;
      return at;
    });
  });
  const vectors = Float32Array.from({ length: n * 8 }, () => rnd() - 0.5);
  const model = buildScoringModel(
    {
      itemIds: itemScenario.map((_, i) => `i${i}`),
      titles: [],
      itemScenario,
      vectors: { dim: 8, data: vectors },
    },
    sequences.map((s) => s.slice(0, -1)),
  );
  const space = itemSpaceOf(model);
  const cases: ValidCase[] = sequences.slice(0, 60).map((s) => {
    const target = s.at(-1)!;
    const hist = s.slice(0, -1).map((item, ts) => ({ item, scenario: itemScenario[item]!, weight: 1, ts }));
    return {
      profile: buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS),
      scenario: itemScenario[target]!,
      target,
      masked: new Set(s.slice(0, -1)),
    };
  });
  const opts = { decays: [0.5, 1], poolPerFeature: 8, rounds: 1 };

  it('leaves the model as it was and returns the ranker, the same whatever ranker the model had', async () => {
    const own = model.ranker;
    const before = structuredClone(own);
    const fit = await fitRanker(model, cases, opts);
    assert.equal(model.ranker, own, 'the model keeps its own ranker object');
    assert.deepEqual(model.ranker, before, 'and its weights');
    assert.notDeepEqual(fit.ranker, before, 'the fit found weights of its own');
    const odd: RankerWeights = {
      shared: before.shared.map(() => 0.5),
      perScenario: { a: before.shared },
      decay: 0.3,
    };
    assert.deepEqual(await fitRanker({ ...model, ranker: odd }, cases, opts), fit);
  });

  it('builds a pool at a decay the same whichever other decays are built after the first', () => {
    // the fit builds the cold-start copies' pools at the first and the chosen decay only
    const all = buildPools(model, cases, 8, [0.5, 0.8, 0.95, 1]);
    assert.deepEqual(buildPools(model, cases, 8, [0.5, 0.95])[1], all[2]);
    assert.deepEqual(buildPools(model, cases, 8, [0.5])[0], all[0]);
    assert.notDeepEqual(all[2], all[0], 'the decay changes the pools');
  });

  it('reports every stage of the fit in order, each count within its total, on one thread and two', async () => {
    for (const threads of [1, 2]) {
      const seen: [number, number, string][] = [];
      await fitRanker(model, cases, {
        ...opts,
        threads,
        onProgress: (d, t, label) => seen.push([d, t, label]),
      });
      const labels = [...new Set(seen.map((x) => x[2]))];
      const want = [
        'candidate pools',
        'ranker fit',
        'candidate pools around the fitted weights',
        'ranker refit',
      ];
      assert.deepEqual(
        labels.filter((l) => want.includes(l)),
        want,
        `threads ${threads}: ${labels.join(' | ')}`,
      );
      for (const [d, t, label] of seen) assert.ok(d >= 0 && d <= t, `${label}: ${d}/${t}`);
    }
  });

  it('gives the same fit with the pools built on two threads', async () => {
    const one = await fitRanker(model, cases, { ...opts, threads: 1 });
    const two = await fitRanker(model, cases, { ...opts, threads: 2 });
    assert.deepEqual(two, one);
  });

  it('builds the same pools and full-ranking scores on worker threads with a sequential model, read per scenario or whole', async () => {
    const seqModel = untrainedSeqModel(Uint16Array.from(model.scenarioCode), 4, 8, 9);
    const built = [];
    const rnd = seededRandom(3);
    // two or three weight sets per case, each feature's weight in [-1, 2)
    const weights = cases.map((_, i) =>
      Array.from({ length: 2 + (i % 2) }, () => Array.from({ length: NUM_FEATURES }, () => rnd() * 3 - 1)),
    );
    for (const fused of [true, false]) {
      const m = { ...model, seq: seqFeatureOf(seqModel, [], fused, 1) };
      const here = buildPools(m, cases, 8, [0.5]);
      const workers = await PoolWorkers.start(m, 2);
      try {
        assert.deepEqual(await workers.build(m, cases, 8, [0.5]), here, `fused ${fused}`);
        const scores = fullRankNdcg(m, cases, weights);
        assert.deepEqual(await workers.check(m, cases, weights), scores, `check, fused ${fused}`);
        assert.ok(
          scores.some((row) => row.some((x) => x !== row[0])),
          'the weight sets rank some case differently',
        );
      } finally {
        await workers.close();
      }
      built.push(here);
    }
    assert.notDeepEqual(built[0], built[1], 'the two readings give other feature rows');
  });
});

describe('fitting and check cases: drawn within each scenario, not by position', () => {
  const rnd = seededRandom(11);
  const n = 80;
  const itemScenario = Array.from({ length: n }, (_, i) => (i < 50 ? 'a' : 'b'));
  // users wander within a scenario and often cross to an item's partner in the other one: the
  // other scenario's history tells where they go
  const partner = (i: number) => (i < 50 ? 50 + (i % 30) : i - 50 + 20 * Math.floor(rnd() * 2));
  const sequences = Array.from({ length: 200 }, () => {
    let cur = Math.floor(rnd() * n);
    return Array.from({ length: 4 + Math.floor(rnd() * 6) }, () => {
      const at = cur;
      const home = itemScenario[cur] === 'a' ? [0, 50] : [50, 80];
      cur =
        rnd() < 0.4
          ? partner(cur)
          : home[0]! + ((cur - home[0]! + 1 + Math.floor(rnd() * 4)) % (home[1]! - home[0]!));
      return at;
    });
  });
  const model = buildScoringModel(
    {
      itemIds: itemScenario.map((_, i) => `i${i}`),
      titles: [],
      itemScenario,
      vectors: { dim: 8, data: Float32Array.from({ length: n * 8 }, () => rnd() - 0.5) },
    },
    sequences.map((s) => s.slice(0, -1)),
  );
  const space = itemSpaceOf(model);
  const caseOf = (s: number[], u: number): ValidCase => {
    const target = s.at(-1)!;
    const hist = s.slice(0, -1).map((item, ts) => ({ item, scenario: itemScenario[item]!, weight: 1, ts }));
    return {
      profile: buildProfile(`u${u}`, hist, space, DEFAULT_PROFILE_OPTIONS),
      scenario: itemScenario[target]!,
      target,
      masked: new Set(s.slice(0, -1)),
    };
  };
  const all = sequences.slice(0, 120).map(caseOf);
  const ofScenario = (s: string) => all.filter((c) => c.scenario === s);
  // the orders that broke the parity split: one scenario after the other, and alternating in pairs
  const byScenario = [...ofScenario('a'), ...ofScenario('b')];
  const pairs: ValidCase[] = [];
  for (let i = 0; i < Math.max(ofScenario('a').length, ofScenario('b').length); i += 2)
    pairs.push(...ofScenario('b').slice(i, i + 2), ...ofScenario('a').slice(i, i + 2));
  const shuffled = (xs: readonly ValidCase[], seed: number) => {
    const r = seededRandom(seed);
    return xs
      .map((c) => ({ c, k: r() }))
      .sort((x, y) => x.k - y.k)
      .map((x) => x.c);
  };
  const opts = {
    decays: [0.8],
    poolPerFeature: 10,
    rounds: 1,
    minBucketCases: 10,
    minCheckCases: 10,
    seed: 5,
  };

  it('every scenario and bucket gets check cases, about half of its cases, whatever the order', () => {
    for (const order of [byScenario, pairs, [...byScenario].reverse()]) {
      const split = splitCases(canonicalOrder(order), 5);
      const strata = new Map<string, number>();
      for (const c of order) {
        strata.set(c.scenario, (strata.get(c.scenario) ?? 0) + 1);
        strata.set(bucketOf(c), (strata.get(bucketOf(c)) ?? 0) + 1);
      }
      for (const [key, count] of strata) {
        const got = split.counts[key]!;
        assert.equal(got.fit + got.check, count, key);
        if (count >= 2) assert.ok(got.check > 0 && got.fit > 0, `${key}: ${JSON.stringify(got)}`);
        assert.ok(Math.abs(got.fit - got.check) <= (key.includes('|') ? 1 : 3), key);
      }
      assert.deepEqual(split, splitCases(canonicalOrder(byScenario), 5), 'the same split for any order');
    }
    assert.notDeepEqual(splitCases(canonicalOrder(all), 5).check, splitCases(canonicalOrder(all), 6).check);
  });

  it('fits the same weights, check and split after the input cases are shuffled', async () => {
    const fit = await fitRanker(model, byScenario, opts);
    assert.ok(Object.keys(fit.crossCheck).length > 0, 'the cross-scenario stage moved some weights');
    for (const s of ['a', 'b']) assert.ok(fit.split[s]!.check > 0, s);
    for (const [key, c] of Object.entries(fit.crossCheck)) {
      assert.ok(c.checkCases > 0 && c.fitCases > 0, `${key}: ${JSON.stringify(c)}`);
      // a share of stage 2's cross-scenario weights is served only where it beat the own weights
      assert.ok(CROSS_SHARES.includes(c.share), key);
      assert.equal(c.kept, c.share > 0, key);
      if (c.kept) assert.ok(c.served > c.own, `${key}: ${JSON.stringify(c)}`);
      else assert.equal(c.served, c.own, key);
      if (c.from) assert.ok(c.kept && key !== 'shared' && !key.includes('|'), key);
    }
    assert.deepEqual(await fitRanker(model, pairs, opts), fit);
    assert.deepEqual(await fitRanker(model, shuffled(byScenario, 1), opts), fit);
  });

  it('too few check cases decide nothing: undecided, reported, served with the shared verdict', async () => {
    // a few cases of b among many of a: the whole check decides, b's alone does not
    const few = [...ofScenario('a'), ...ofScenario('b').slice(0, 12)];
    const fit = await fitRanker(model, few, { ...opts, minCheckCases: 20 });
    const b = fit.crossCheck.b;
    assert.ok(b, "b's cross-scenario weights moved and were checked");
    assert.equal(b.undecided, true);
    assert.equal(b.kept, false);
    assert.ok(b.checkCases < 20 && b.checkCases > 0);
    assert.equal(fit.crossCheck.shared?.kept, true, 'the check of all cases decides, for fusion');
    // b is served with the shared cross-scenario weights (not its own stage 1, as a rejection
    // would), and has no bucket weights
    const wb = fit.ranker.perScenario.b ?? fit.ranker.shared;
    assert.deepEqual(
      CROSS_FEATURES.map((k) => wb[k]),
      CROSS_FEATURES.map((k) => fit.ranker.shared[k]),
    );
    assert.ok(CROSS_FEATURES.some((k) => wb[k] !== 0));
    assert.ok(!Object.keys(fit.ranker.perScenario).some((k) => k.startsWith('b|')));
    // with no minimum to speak of, the same cases give a verdict
    const decided = await fitRanker(model, few, { ...opts, minCheckCases: 1 });
    assert.equal(decided.crossCheck.b?.undecided, undefined);
  });

  it('cold-start copies fit and are checked in their own bucket alone, leaving the other weights as they were', async () => {
    const withHistory = byScenario.filter((c) =>
      c.profile.history.some((h) => h.scenario === c.scenario && h.weight > 0),
    );
    const copies: ValidCase[] = withHistory
      .filter((c) => c.profile.history.some((h) => h.scenario !== c.scenario))
      .map((c, u) => ({
        ...caseOf(
          [...c.profile.history.filter((h) => h.scenario !== c.scenario).map((h) => h.item), c.target],
          1000 + u,
        ),
        copy: true as const,
      }));
    assert.ok(copies.length > 40, `${copies.length} copies`);
    const without = await fitRanker(model, withHistory, opts);
    const withCopies = await fitRanker(model, [...withHistory, ...copies], opts);
    // the other cases keep their roles, so the shared, scenario and warm bucket weights are the same
    assert.deepEqual(withCopies.ranker.shared, without.ranker.shared);
    for (const [key, w] of Object.entries(without.ranker.perScenario))
      assert.deepEqual(withCopies.ranker.perScenario[key], w, key);
    for (const s of ['a', 'b']) assert.deepEqual(withCopies.split[s], without.split[s], s);
    // stage 2 as fitted (`fused`) and the check of the real cases are the same too
    for (const key of ['shared', 'a', 'b'])
      assert.deepEqual(withCopies.crossCheck[key], without.crossCheck[key], key);
    assert.equal(withCopies.validNdcg, without.validNdcg, 'the reported NDCG is that of the real cases');
    for (const s of ['a', 'b']) {
      const key = `${s}|0`;
      const n = copies.filter((c) => c.scenario === s).length;
      assert.equal(withCopies.split[key]!.fit + withCopies.split[key]!.check, n, key);
      // their bucket is checked on them: kept only where it beat the scenario's weights on them
      const c = withCopies.crossCheck[key];
      if (c) {
        assert.equal(c.checkCases, withCopies.split[key]!.check, key);
        if (c.kept) assert.ok(c.served > c.own && withCopies.ranker.perScenario[key], key);
      }
    }
    assert.ok(
      Object.keys(withCopies.crossCheck).some((k) => k.endsWith('|0')),
      'a cold-start bucket was fitted and checked',
    );
  });

  it('bagged: seeded, one bag is the single fit, several average both stages and still pass the check', async () => {
    const single = await fitRanker(model, byScenario, opts);
    assert.deepEqual(await fitRanker(model, byScenario, { ...opts, bags: 1 }), single);
    const bagged = await fitRanker(model, byScenario, { ...opts, bags: 4 });
    assert.deepEqual(await fitRanker(model, shuffled(byScenario, 2), { ...opts, bags: 4 }), bagged);
    assert.notDeepEqual(bagged.ranker, single.ranker);
    assert.equal(bagged.ranker.shared[0], 1, 'knnSame stays the anchor');
    assert.equal(bagged.ranker.decay, single.ranker.decay, 'the decay is chosen once, on all cases');
    assert.ok(Object.keys(bagged.crossCheck).length > 0, 'the averaged cross-scenario weights are checked');
  });
});
