/**
 * The fused query on a real food-kitchen slice: its same-scenario features read the target
 * scenario's own history exactly as the model alone would, so fusion only adds evidence
 * (knnCross, textFused) instead of diluting the target scenario's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { untrainedSeqModel } from '../../tests/engine-fixture.ts';
import { seededRandom } from '../core/rng.ts';
import { buildAttrGraph } from '../model/attr.ts';
import { appendRows, buildAttrCross } from '../model/attr-cross.ts';
import { buildScoringModel } from '../model/build.ts';
import { buildItemGraphs, DEFAULT_GRAPH_OPTIONS } from '../model/graph.ts';
import {
  FEATURE,
  FEATURES,
  historyBucketKey,
  itemSpaceOf,
  NUM_FEATURES,
  type ScoringModel,
  weightsByName,
} from '../model/scoring.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../profile/interests.ts';
import type { HistoryEntry } from '../profile/types.ts';
import { seqFeatureOf } from '../seq/feature.ts';
import { buildPools, CROSS_FEATURES, fitRanker, ownView, type ValidCase } from '../train/fit-ranker.ts';
import { explainBase } from './explain.ts';
import { featuresOf, ownHistory, prepareQuery, scenarioRecency, weightsFor } from './query.ts';

const DATA = new URL('../../../shared/data/food-kitchen/', import.meta.url);

/** the first 1,500 users active in both scenarios, items renumbered densely */
function slice() {
  const scenarioOf = new Map<string, string>();
  for (const line of readFileSync(new URL('items.tsv', DATA), 'utf8').split('\n').slice(1)) {
    const [id, domain] = line.split('\t');
    if (id && domain) scenarioOf.set(id, domain);
  }
  const dense = new Map<string, number>();
  const itemScenario: string[] = [];
  const sequences = readFileSync(new URL('train_overlap.txt', DATA), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .slice(0, 1500)
    .map((l) =>
      l
        .split('\t')[1]!
        .split(',')
        .map((raw) => {
          let i = dense.get(raw);
          if (i === undefined) {
            i = dense.size;
            dense.set(raw, i);
            itemScenario.push(scenarioOf.get(raw)!);
          }
          return i;
        }),
    );
  return { sequences, itemScenario };
}

/** seeded unit vectors: the test needs text features that differ per item, not meaningful ones */
function vectors(n: number, dim: number) {
  const rnd = seededRandom(7);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = rnd() - 0.5;
      data[i * dim + d] = v;
      s += v * v;
    }
    for (let d = 0; d < dim; d++) data[i * dim + d]! /= Math.sqrt(s);
  }
  return { dim, data };
}

describe('fused query on a food-kitchen slice', () => {
  const { sequences, itemScenario } = slice();
  const n = itemScenario.length;
  const model: ScoringModel = buildScoringModel(
    { itemIds: itemScenario.map((_, i) => String(i)), titles: [], itemScenario, vectors: vectors(n, 16) },
    sequences,
    // each scenario alone (block-diagonal EASE too), so every same-scenario feature must match exactly
    { graph: { ...DEFAULT_GRAPH_OPTIONS, crossScenario: false, easeItems: 300 } },
  );
  const fusedModel: ScoringModel = {
    ...model,
    graphs: buildItemGraphs(sequences, n, (i) => itemScenario[i]!, {
      ...DEFAULT_GRAPH_OPTIONS,
      easeItems: 300,
    }),
  };
  const space = itemSpaceOf(model);
  const entries = (seq: number[]): HistoryEntry[] =>
    seq.map((item, ts) => ({ item, scenario: itemScenario[item]!, weight: 1, ts }));
  // users whose history interleaves both scenarios, the last item held out as the target
  const mixed = sequences
    .filter((s) => new Set(s.slice(0, -1).map((i) => itemScenario[i])).size === 2 && s.length >= 6)
    .slice(0, 40);

  it('has users with interleaved histories to test on', () => {
    assert.ok(mixed.length >= 20);
  });

  it('explanations credit the history items with every feature built on their co-occurrence', () => {
    const alone = (f: 'knnCrossThin' | 'easeFused') => ({
      ...fusedModel,
      ranker: { ...fusedModel.ranker, shared: weightsByName({ [f]: 1 }) },
    });
    for (const [f, otherOnly] of [
      ['knnCrossThin', true],
      ['easeFused', false],
    ] as const) {
      let seen = 0;
      for (const seq of mixed) {
        const target = seq.at(-1)!;
        const scenario = itemScenario[target]!;
        const profile = buildProfile('u', entries(seq.slice(0, -1)), space, DEFAULT_PROFILE_OPTIONS);
        const q = prepareQuery(alone(f), profile, { scenario });
        const arr = f === 'easeFused' ? q.easeFused : q.knnCross;
        for (const item of q.touched.filter((i) => arr[i]! > 0 && itemScenario[i] === scenario).slice(0, 5)) {
          const e = explainBase(q, item, 50);
          const negative = explainBase({ ...q, weights: q.weights.map((x) => -x) }, item, 50);
          // the whole score is carried by history items (EASE weighs some negatively)
          assert.ok(
            Math.abs(e.positiveSum - negative.positiveSum - e.baseScore) <
              1e-4 * Math.abs(e.baseScore) + 1e-6,
            `${f}: ${e.positiveSum} - ${negative.positiveSum} vs ${e.baseScore}`,
          );
          if (otherOnly) for (const h of e.positive) assert.notEqual(h.scenario, scenario);
          seen++;
        }
      }
      assert.ok(seen > 20, `${f}: ${seen} items explained`);
    }
  });

  it('the attribute features read the target scenario entries; explanations split them exactly over those', () => {
    // seeded metadata: 40 tags spread over the catalogue, every item with two
    const rnd = seededRandom(11);
    const tokens = itemScenario.map(() => [`tag:${Math.floor(rnd() * 40)}`, `tag:${Math.floor(rnd() * 40)}`]);
    const code = Int32Array.from(itemScenario, (s) => model.scenarios.indexOf(s));
    const attr = buildAttrGraph(tokens, code, fusedModel.graphs.counts, { neighbours: 30, postings: 200 });
    assert.ok(attr);
    const m = { ...fusedModel, graphs: { ...fusedModel.graphs, attr } };
    let seen = 0;
    for (const f of ['attr', 'attrLast'] as const) {
      const one = { ...m, ranker: { ...m.ranker, shared: weightsByName({ [f]: 1 }) } };
      for (const seq of mixed.slice(0, 10)) {
        const target = seq.at(-1)!;
        const scenario = itemScenario[target]!;
        const profile = buildProfile('u', entries(seq.slice(0, -1)), space, DEFAULT_PROFILE_OPTIONS);
        const q = prepareQuery(one, profile, { scenario });
        // as the model alone would see it: the same values from the target scenario's entries only
        const own = seq.slice(0, -1).filter((i) => itemScenario[i] === scenario);
        const alone = prepareQuery(one, buildProfile('u', entries(own), space, DEFAULT_PROFILE_OPTIONS), {
          scenario,
        });
        const touched = q.touched.filter((i) => q[f][i]! > 0 && itemScenario[i] === scenario);
        assert.ok(touched.length > 0, `${f}: no item reached`);
        for (const item of touched.slice(0, 10)) {
          assert.ok(Math.abs(q[f][item]! - alone[f][item]!) < 1e-6, `${f}: differs from alone at ${item}`);
          const e = explainBase(q, item, 50);
          assert.ok(
            Math.abs(e.positiveSum - e.baseScore) < 1e-4 * e.baseScore + 1e-6,
            `${f}: ${e.positiveSum} vs ${e.baseScore}`,
          );
          for (const h of e.positive) assert.equal(h.scenario, scenario);
          seen++;
        }
        // an item is reached only in its own scenario
        assert.ok(q.touched.every((i) => q[f][i] === 0 || itemScenario[i] === scenario));
      }
    }
    assert.ok(seen > 50, `${seen} items explained`);
  });

  it("the attribute graph's links across scenarios feed attrCross from the other scenarios' entries alone", () => {
    const rnd = seededRandom(12);
    // tags shared across the scenarios, as title words are
    const tokens = itemScenario.map(() => [`tag:${Math.floor(rnd() * 40)}`, `tag:${Math.floor(rnd() * 40)}`]);
    const code = Int32Array.from(itemScenario, (s) => model.scenarios.indexOf(s));
    const opts = { neighbours: 30, postings: 200 };
    const within = buildAttrGraph(tokens, code, fusedModel.graphs.counts, opts);
    const across = buildAttrCross(tokens, code, fusedModel.graphs.counts, opts);
    assert.ok(within && across);
    const withLinks = {
      ...fusedModel,
      graphs: { ...fusedModel.graphs, attr: appendRows(within, across, code.length) },
    };
    const withoutLinks = { ...fusedModel, graphs: { ...fusedModel.graphs, attr: within } };
    const one = (m: ScoringModel) => ({
      ...m,
      ranker: { ...m.ranker, shared: weightsByName({ attrCross: 1 }) },
    });
    let seen = 0;
    for (const seq of mixed.slice(0, 10)) {
      const target = seq.at(-1)!;
      const scenario = itemScenario[target]!;
      const profile = buildProfile('u', entries(seq.slice(0, -1)), space, DEFAULT_PROFILE_OPTIONS);
      const q = prepareQuery(one(withLinks), profile, { scenario });
      const before = prepareQuery(one(withoutLinks), profile, { scenario });
      // the features within the scenario are those of the graph without the links
      for (const item of withLinks.scenarioItems[q.scenarioCode]!)
        for (const f of ['attr', 'attrLast'] as const)
          assert.ok(Math.abs(q[f][item]! - before[f][item]!) < 1e-6, `${f} moved at ${item}`);
      assert.ok(
        before.touched.every((i) => before.attrCross[i] === 0 || itemScenario[i] !== scenario),
        'no links, no attrCross in the target scenario',
      );
      const reached = q.touched.filter((i) => q.attrCross[i]! > 0 && itemScenario[i] === scenario);
      assert.ok(reached.length > 0, 'the other scenario reaches the target scenario');
      for (const item of reached.slice(0, 10)) {
        const e = explainBase(q, item, 50);
        assert.ok(
          Math.abs(e.positiveSum - e.baseScore) < 1e-4 * e.baseScore + 1e-6,
          `${e.positiveSum} vs ${e.baseScore}`,
        );
        for (const h of e.positive) assert.notEqual(h.scenario, scenario);
        seen++;
      }
      // the model alone (the target scenario's entries) has no attrCross
      const own = seq.slice(0, -1).filter((i) => itemScenario[i] === scenario);
      const alone = prepareQuery(
        one(withLinks),
        buildProfile('u', entries(own), space, DEFAULT_PROFILE_OPTIONS),
        {
          scenario,
        },
      );
      assert.ok(alone.touched.every((i) => alone.attrCross[i] === 0));
    }
    assert.ok(seen > 30, `${seen} items explained`);
  });

  it("explanations split the latent models' scores exactly over the history items they were folded in from", () => {
    for (const f of ['als', 'alsFused'] as const) {
      const m = { ...fusedModel, ranker: { ...fusedModel.ranker, shared: weightsByName({ [f]: 1 }) } };
      assert.ok(m.graphs[f], `the fused graphs carry ${f}`);
      let seen = 0;
      for (const seq of mixed.slice(0, 10)) {
        const target = seq.at(-1)!;
        const scenario = itemScenario[target]!;
        const profile = buildProfile('u', entries(seq.slice(0, -1)), space, DEFAULT_PROFILE_OPTIONS);
        const q = prepareQuery(m, profile, { scenario });
        for (const item of [...m.scenarioItems[q.scenarioCode]!].slice(0, 30)) {
          const e = explainBase(q, item, 50);
          const negative = explainBase({ ...q, weights: q.weights.map((x) => -x) }, item, 50);
          assert.ok(
            Math.abs(e.positiveSum - negative.positiveSum - e.baseScore) <
              1e-4 * Math.abs(e.baseScore) + 1e-6,
            `${f}: ${e.positiveSum} - ${negative.positiveSum} vs ${e.baseScore}`,
          );
          // each scenario's own model reads the target scenario's entries only
          if (f === 'als')
            for (const h of [...e.positive, ...negative.positive]) assert.equal(h.scenario, scenario);
          if (e.baseScore !== 0) seen++;
        }
      }
      assert.ok(seen > 100, `${f}: ${seen} items explained`);
    }
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

  it('explanations split the recent-text features exactly over the recent history items', () => {
    for (const f of ['textRecent', 'textRecentFused'] as const) {
      const m = { ...fusedModel, ranker: { ...fusedModel.ranker, shared: weightsByName({ [f]: 1 }) } };
      let seen = 0;
      for (const seq of mixed) {
        const target = seq.at(-1)!;
        const scenario = itemScenario[target]!;
        const profile = buildProfile('u', entries(seq.slice(0, -1)), space, DEFAULT_PROFILE_OPTIONS);
        const q = prepareQuery(m, profile, { scenario });
        const recent = new Set(seq.slice(0, -1).slice(-5));
        for (const item of q.touched.filter((i) => itemScenario[i] === scenario).slice(0, 5)) {
          const e = explainBase(q, item, 50);
          const negative = explainBase({ ...q, weights: q.weights.map((x) => -x) }, item, 50);
          assert.notEqual(e.baseScore, 0);
          assert.ok(
            Math.abs(e.positiveSum - negative.positiveSum - e.baseScore) < 1e-4,
            `${f}: ${e.positiveSum} - ${negative.positiveSum} vs ${e.baseScore}`,
          );
          for (const h of [...e.positive, ...negative.positive]) {
            if (f === 'textRecent') assert.equal(h.scenario, scenario);
            else assert.ok(recent.has(h.item), `${h.item} is among the last five`);
          }
          seen++;
        }
      }
      assert.ok(seen > 20, `${f}: ${seen} items explained`);
    }
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
