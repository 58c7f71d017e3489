/**
 * The fused query on a real food-kitchen slice: its same-scenario features read the target
 * scenario's own history exactly as the model alone would, so fusion only adds evidence
 * (knnCross, textFused) instead of diluting the target scenario's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { untrainedSeqModel } from '../../tests/engine-fixture.ts';
import { foodKitchenSlice } from '../../tests/food-kitchen-slice.ts';
import { arrivals } from '../model/arrivals.ts';
import { buildScoringModel } from '../model/build.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS } from '../model/graph.ts';
import {
  FEATURE,
  FEATURES,
  historyBucketKey,
  NUM_FEATURES,
  popularityFromCounts,
  type ScoringModel,
  weightsByName,
} from '../model/scoring.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../profile/interests.ts';
import type { HistoryEntry } from '../profile/types.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { buildPools, CROSS_FEATURES, fitRanker, ownView, type ValidCase } from '../train/fit-ranker.ts';
import { explainBase } from './explain.ts';
import { featuresOf, ownHistory, prepareQuery, scenarioRecency, weightsFor } from './query.ts';

describe('fused query on a food-kitchen slice', () => {
  const { sequences, itemScenario, n, model, fusedModel, space, entries, mixed } = foodKitchenSlice();

  it('has users with interleaved histories to test on', () => {
    assert.ok(mixed.length >= 20);
  });

  it("the sequential model's `seq` reads the target scenario's entries as alone; `seqFused` the whole history", () => {
    const seqModel = untrainedSeqModel(Uint16Array.from(model.scenarioCode), 8, 20, 5);
    const seq = seqFeatureOf(seqModel, [], true, 1);
    const withSeq = (w: Record<string, number>) => ({
      ...fusedModel,
      seq,
      ranker: { ...fusedModel.ranker, shared: weightsByName(w) },
    });
    const m = withSeq({ seq: 1, seqFused: 0.5 });
    const ff = new Float32Array(NUM_FEATURES);
    const fa = new Float32Array(NUM_FEATURES);
    let fusedSeen = 0;
    for (const s of mixed.slice(0, 10)) {
      const target = s.at(-1)!;
      const scenario = itemScenario[target]!;
      const hist = entries(s.slice(0, -1));
      const alone = hist.filter((h) => h.scenario === scenario);
      const qf = prepareQuery(m, buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS), { scenario });
      const qa = prepareQuery(m, buildProfile('u', alone, space, DEFAULT_PROFILE_OPTIONS), { scenario });
      for (const item of [...m.scenarioItems[qf.scenarioCode]!].slice(0, 50)) {
        featuresOf(qf, item, ff);
        featuresOf(qa, item, fa);
        assert.ok(Math.abs(ff[FEATURE.seq]! - fa[FEATURE.seq]!) < 1e-5, `seq of item ${item}`);
        assert.notEqual(fa[FEATURE.seq], 0);
        assert.equal(fa[FEATURE.seqFused], 0);
        if (Math.abs(ff[FEATURE.seqFused]! - ff[FEATURE.seq]!) > 1e-4) fusedSeen++;
        // each share split exactly over the history items; `seq` credits the target scenario's only
        for (const f of ['seq', 'seqFused'] as const) {
          const one = { ...qf, weights: weightsByName({ [f]: 1 }) };
          const e = explainBase(one, item, 50);
          const negative = explainBase({ ...one, weights: weightsByName({ [f]: -1 }) }, item, 50);
          assert.ok(
            Math.abs(e.positiveSum - negative.positiveSum - e.baseScore) <
              1e-4 * Math.abs(e.baseScore) + 1e-5,
            `${f}: ${e.positiveSum} - ${negative.positiveSum} vs ${e.baseScore}`,
          );
          if (f === 'seq')
            for (const h of [...e.positive, ...negative.positive]) assert.equal(h.scenario, scenario);
        }
      }
    }
    assert.ok(fusedSeen > 100, `the whole history reads differently: ${fusedSeen}`);
    // a user with no history in the target scenario: no own state, the whole history's only
    const s = mixed[0]!;
    const scenario = itemScenario[s.at(-1)!]!;
    const others = entries(s).filter((h) => h.scenario !== scenario);
    const q = prepareQuery(m, buildProfile('u', others, space, DEFAULT_PROFILE_OPTIONS), { scenario });
    assert.equal(q.seqState, undefined);
    assert.ok(q.seqFusedState);
    // not split (train.seqFused off, the default): `seq` reads the whole history, no `seqFused`
    const whole = { ...m, seq: { ...seq, fused: false } };
    const hist = entries(s.slice(0, -1));
    const qw = prepareQuery(whole, buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS), { scenario });
    const qs = prepareQuery(m, qw.profile, { scenario });
    assert.equal(qw.seqFusedState, undefined);
    assert.deepEqual(qw.seqState, qs.seqFusedState);
  });

  it('same-scenario features equal those of the target scenario alone; fusion only adds', () => {
    const same = ['knnSame', 'trans', 'ease', 'textInterest', 'textRecent', 'textLast', 'negative'] as const;
    let crossSeen = 0;
    let transSeen = 0;
    for (const seq of mixed) {
      const target = seq.at(-1)!;
      const scenario = itemScenario[target]!;
      const hist = entries(seq.slice(0, -1));
      const alone = hist.filter((h) => h.scenario === scenario);
      const qf = prepareQuery(model, buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS), { scenario });
      const qa = prepareQuery(model, buildProfile('u', alone, space, DEFAULT_PROFILE_OPTIONS), { scenario });
      const ff = new Float32Array(NUM_FEATURES);
      const fa = new Float32Array(NUM_FEATURES);
      for (const item of model.scenarioItems[qf.scenarioCode]!) {
        featuresOf(qf, item, ff);
        featuresOf(qa, item, fa);
        for (const name of same)
          assert.ok(Math.abs(ff[FEATURE[name]]! - fa[FEATURE[name]]!) < 1e-5, `${name} of item ${item}`);
        // the model alone has no cross-scenario evidence at all
        for (const k of CROSS_FEATURES) assert.equal(fa[k], 0, FEATURES[k]);
      }
      assert.ok(
        model.scenarioItems[qf.scenarioCode]!.some((i) => featuresOf(qf, i, ff)[FEATURE.textFused] !== 0),
      );
      // with graphs trained across scenarios, the other scenario's history adds co-occurrence evidence
      const qx = prepareQuery(fusedModel, qf.profile, { scenario });
      crossSeen += qx.touched.filter((i) => qx.knnCross[i]! > 0 && itemScenario[i] === scenario).length;
      // cross evidence counts more for a user with a thin history in the target scenario
      for (const i of qx.touched.slice(0, 50)) {
        const x = featuresOf(qx, i, ff);
        assert.ok(
          Math.abs(x[FEATURE.knnCrossThin]! - (x[FEATURE.knnCross]! * 3) / (3 + alone.length)) < 1e-6,
        );
      }
      if (qx.touched.some((i) => qx.transCross[i]! > 0 && itemScenario[i] === scenario)) transSeen++;
    }
    assert.ok(crossSeen > 0, 'the fused query adds cross-scenario evidence');
    assert.ok(transSeen > 0, 'and transitions from the last items of the whole history');
  });

  it('with graphs fused across scenarios the collaborative same-scenario features still equal alone', () => {
    // EASE is each scenario's block alone in both models; the EASE over both scenarios is easeFused
    const same = ['knnSame', 'trans', 'ease', 'knnStrength', 'textInterest', 'textRecent'] as const;
    let easeFusedSeen = 0;
    for (const seq of mixed) {
      const target = seq.at(-1)!;
      const scenario = itemScenario[target]!;
      const hist = entries(seq.slice(0, -1));
      const alone = hist.filter((h) => h.scenario === scenario);
      const qx = prepareQuery(fusedModel, buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS), {
        scenario,
      });
      const qa = prepareQuery(model, buildProfile('u', alone, space, DEFAULT_PROFILE_OPTIONS), { scenario });
      const fx = new Float32Array(NUM_FEATURES);
      const fa = new Float32Array(NUM_FEATURES);
      for (const item of model.scenarioItems[qx.scenarioCode]!) {
        featuresOf(qx, item, fx);
        featuresOf(qa, item, fa);
        for (const name of same)
          assert.ok(Math.abs(fx[FEATURE[name]]! - fa[FEATURE[name]]!) < 1e-5, `${name} of item ${item}`);
        if (fx[FEATURE.easeFused] !== 0) easeFusedSeen++;
      }
    }
    assert.ok(easeFusedSeen > 0, 'the EASE over both scenarios adds its evidence as easeFused');
  });

  it('the fused EASE differs from the per-scenario one only through cross-scenario pairs', () => {
    const g = fusedModel.graphs;
    assert.ok(g.easeFused, 'graphs fused over two scenarios carry the cross-scenario EASE');
    // every weight of the per-scenario EASE joins two items of one scenario
    for (let a = 0; a < n; a++)
      for (let o = g.ease.offsets[a]!; o < g.ease.offsets[a + 1]!; o++)
        assert.equal(itemScenario[g.ease.items[o]!], itemScenario[a]);
    let cross = 0;
    for (let a = 0; a < n; a++)
      for (let o = g.easeFused!.offsets[a]!; o < g.easeFused!.offsets[a + 1]!; o++)
        if (itemScenario[g.easeFused!.items[o]!] !== itemScenario[a]) cross++;
    assert.ok(cross > 0);
    assert.equal(model.graphs.easeFused, undefined, 'no fused EASE without cross-scenario pairs');
  });

  it('the fused ranker fit starts from the fit alone: own pools, decay and own weights equal', async () => {
    const fusedCases: ValidCase[] = [];
    const aloneCases: ValidCase[] = [];
    for (const seq of mixed) {
      const target = seq.at(-1)!;
      const scenario = itemScenario[target]!;
      const hist = entries(seq.slice(0, -1));
      const masked = new Set(seq.slice(0, -1));
      const alone = hist.filter((h) => h.scenario === scenario);
      fusedCases.push({
        profile: buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS),
        scenario,
        target,
        masked,
      });
      aloneCases.push({
        profile: buildProfile('u', alone, space, DEFAULT_PROFILE_OPTIONS),
        scenario,
        target,
        masked,
      });
    }
    const fm: ScoringModel = { ...fusedModel };
    const am: ScoringModel = {
      ...model,
      graphs: buildItemGraphs(sequences, n, (i) => itemScenario[i]!, {
        ...DEFAULT_GRAPH_OPTIONS,
        crossScenario: false,
        easeItems: 300,
      }),
    };
    // the own rows of each fused pool are the pool alone; the cross-scenario features add rows after them
    const pf = buildPools(fm, fusedCases.slice(0, 8), 20, [0.8]);
    const pa = buildPools(am, aloneCases.slice(0, 8), 20, [0.8]);
    let added = 0;
    pf[0]!.forEach((p, i) => {
      assert.deepEqual(ownView(p).items, pa[0]![i]!.items);
      added += p.size - p.own;
    });
    assert.ok(added > 0, 'cross-scenario features bring candidates of their own');
    const opts = { decays: [0.5, 1], poolPerFeature: 20, rounds: 2 };
    const fused = await fitRanker(fm, fusedCases, opts);
    const alone = await fitRanker(am, aloneCases, opts);
    assert.equal(fused.ranker.decay, alone.ranker.decay);
    assert.deepEqual(alone.crossCheck, {}, 'alone has no cross-scenario stage');
    const own = FEATURES.map((_, k) => k).filter((k) => !CROSS_FEATURES.includes(k));
    for (const s of ['food', 'kitchen']) {
      const wf = fused.ranker.perScenario[s] ?? fused.ranker.shared;
      const wa = alone.ranker.perScenario[s] ?? alone.ranker.shared;
      assert.deepEqual(
        own.map((k) => wf[k]),
        own.map((k) => wa[k]),
        s,
      );
      // cross weights only where the full ranking of the valid cases kept them: the scenario's own
      // check, or, where that had too few cases to decide, the shared one
      if (CROSS_FEATURES.some((k) => wf[k] !== 0))
        assert.ok(
          fused.crossCheck[s]?.kept || (fused.crossCheck[s]?.undecided && fused.crossCheck.shared?.kept),
          `${s}: ${JSON.stringify(fused.crossCheck)}`,
        );
    }
  });

  it('per target-history bucket cross weights: fitted on the fused model only, kept only where checked', async () => {
    // 300 users' last items held out of the graphs (as the pseudo-valid cases are), so the fit has
    // something to learn and every bucket of both scenarios has cases
    const heldOut = sequences
      .filter((s) => new Set(s.slice(0, -1).map((i) => itemScenario[i])).size === 2 && s.length >= 4)
      .slice(0, 300);
    const held = new Set(heldOut);
    const trainSeqs = sequences.map((s) => (held.has(s) ? s.slice(0, -1) : s));
    const graphsOf = (crossScenario: boolean) =>
      buildItemGraphs(trainSeqs, n, (i) => itemScenario[i]!, {
        ...DEFAULT_GRAPH_OPTIONS,
        crossScenario,
        easeItems: 300,
      });
    const cases = (alone: boolean): ValidCase[] =>
      heldOut.map((seq) => {
        const target = seq.at(-1)!;
        const scenario = itemScenario[target]!;
        const hist = entries(seq.slice(0, -1)).filter((h) => !alone || h.scenario === scenario);
        return {
          profile: buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS),
          scenario,
          target,
          masked: new Set(seq.slice(0, -1)),
        };
      });
    const opts = { decays: [0.8], poolPerFeature: 20, rounds: 2, minBucketCases: 10 };
    const alone = await fitRanker({ ...model, graphs: graphsOf(false) }, cases(true), opts);
    assert.ok(
      Object.keys(alone.ranker.perScenario).every((k) => !k.includes('|')),
      'no bucket weights without cross-scenario evidence',
    );
    const fused = await fitRanker({ ...model, graphs: graphsOf(true) }, cases(false), opts);
    const own = FEATURES.map((_, k) => k).filter((k) => !CROSS_FEATURES.includes(k));
    const bucketKeys = Object.keys(fused.crossCheck).filter((k) => k.includes('|'));
    assert.ok(bucketKeys.length > 0, 'some bucket had enough cases and weights of its own to check');
    for (const key of bucketKeys) {
      const w = fused.ranker.perScenario[key];
      assert.equal(w !== undefined, fused.crossCheck[key]!.kept, key);
      if (!w) continue;
      // a bucket moves the cross-scenario weights only: its own evidence is weighted as alone
      const s = key.split('|')[0]!;
      const ws = fused.ranker.perScenario[s] ?? fused.ranker.shared;
      assert.deepEqual(
        own.map((k) => w[k]),
        own.map((k) => ws[k]),
      );
    }
  });

  it('weights are picked per scenario and target-history bucket, falling back to the scenario, then shared', () => {
    const w = (x: number) => FEATURES.map(() => x);
    const m: ScoringModel = {
      ...model,
      ranker: { shared: w(1), perScenario: { food: w(2), 'food|1-2': w(3), 'food|0': w(4) }, decay: 0.8 },
    };
    assert.equal(weightsFor(m, 'food', 0)[0], 4, 'no history in the scenario: its own bucket');
    assert.equal(weightsFor(m, 'food', 1)[0], 3);
    assert.equal(weightsFor(m, 'food', 2)[0], 3);
    assert.equal(weightsFor(m, 'food', 3)[0], 2);
    assert.equal(weightsFor(m, 'kitchen', 0)[0], 1);
    assert.equal(weightsFor(m, 'kitchen', 1)[0], 1);
    assert.equal(historyBucketKey('kitchen', 10), 'kitchen|10+');
    const hist = entries(mixed[0]!);
    const q = prepareQuery(m, buildProfile('u', hist, space, DEFAULT_PROFILE_OPTIONS), { scenario: 'food' });
    assert.equal(q.weights, weightsFor(m, 'food', hist.filter((h) => h.scenario === 'food').length));
  });

  it('a user with no history in the target scenario is served from the other one', () => {
    const seq = mixed[0]!;
    const other = entries(seq).filter((h) => h.scenario === 'kitchen');
    const q = prepareQuery(model, buildProfile('u', other, space, DEFAULT_PROFILE_OPTIONS), {
      scenario: 'food',
    });
    assert.equal(q.own, q.profile.history);
    assert.ok(q.recentVec, 'recent text falls back to the whole history');
    assert.ok(q.interestVecs.length > 0);
    assert.equal(q.fusedVecs.length, 0, 'no separate fused interests when there is no own history');
  });

  it('popularityCross: what users arriving from the other scenario take up, read only with it in the history', () => {
    const m = buildScoringModel({ itemIds: itemScenario.map(String), titles: [], itemScenario }, sequences, {
      graph: {
        ...DEFAULT_GRAPH_OPTIONS,
        easeItems: 0,
        als: { ...DEFAULT_GRAPH_OPTIONS.als, factors: 0 },
        arrivals: true,
      },
    });
    const counts = arrivals(sequences, (i) => itemScenario[i]!, n);
    assert.deepEqual(m.popularityCross, popularityFromCounts(counts, m.scenarioCode, m.scenarios.length));
    let seen = 0;
    for (const seq of mixed.slice(0, 10)) {
      const scenario = itemScenario[seq.at(-1)!]!;
      const hist = entries(seq.slice(0, -1));
      const query = (h: HistoryEntry[]) =>
        prepareQuery(m, buildProfile('u', h, space, DEFAULT_PROFILE_OPTIONS), { scenario });
      const fused = query(hist);
      const cold = query(hist.filter((h) => h.scenario !== scenario));
      const own = query(hist.filter((h) => h.scenario === scenario));
      for (const item of m.scenarioItems[fused.scenarioCode]!.slice(0, 200)) {
        const want: number = m.popularityCross![item]!;
        assert.equal(featuresOf(fused, item)[FEATURE.popularityCross], want);
        assert.equal(featuresOf(cold, item)[FEATURE.popularityCross], want);
        assert.equal(featuresOf(own, item)[FEATURE.popularityCross], 0);
        if (want > 0 && counts[item]! < m.graphs.counts[item]!) seen++;
      }
    }
    assert.ok(seen > 50, `${seen} items counted apart from their plain popularity`);
    // the model alone counts none
    assert.equal(model.popularityCross, undefined);
  });
});

describe('per-scenario recency and own history', () => {
  const h = (scenario: string): HistoryEntry => ({ item: 0, scenario, weight: 1, ts: 0 });
  const hist = [h('a'), h('b'), h('b'), h('a'), h('b')];

  it('an entry decays only with later entries of its own scenario', () => {
    assert.deepEqual(Array.from(scenarioRecency(hist, 0.5)), [0.5, 0.25, 0.5, 1, 1]);
    // one scenario: plain recency
    assert.deepEqual(Array.from(scenarioRecency([h('a'), h('a'), h('a')], 0.5)), [0.25, 0.5, 1]);
  });

  it('own history is the target scenario, or everything when the target has none', () => {
    assert.deepEqual(
      ownHistory(hist, 'a').map((x) => x.scenario),
      ['a', 'a'],
    );
    assert.equal(ownHistory(hist, 'c'), hist);
    const onlyA = [h('a'), h('a')];
    assert.equal(ownHistory(onlyA, 'a'), onlyA);
  });
});
