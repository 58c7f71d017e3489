/**
 * Explanations on the fused query of a real food-kitchen slice: each feature's score is split
 * exactly over the history items it was built from, and a feature that reads one scenario's
 * entries credits only those.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foodKitchenSlice } from '../../tests/food-kitchen-slice.ts';
import { seededRandom } from '../core/rng.ts';
import { buildAttrGraph } from '../model/attr.ts';
import { appendRows, buildAttrCross } from '../model/attr-cross.ts';
import { type ScoringModel, weightsByName } from '../model/scoring.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../profile/interests.ts';
import { explainBase } from './explain.ts';
import { prepareQuery } from './query.ts';

/**
 * An item's explanation with the weights as they are and negated: the history items' credits of
 * the two add up to the item's whole score (to 1e-4 of it).
 */
function splitExactly(q: ReturnType<typeof prepareQuery>, item: number, label: string) {
  const e = explainBase(q, item, 50);
  const negative = explainBase({ ...q, weights: q.weights.map((x) => -x) }, item, 50);
  assert.ok(
    Math.abs(e.positiveSum - negative.positiveSum - e.baseScore) < 1e-4 * Math.abs(e.baseScore) + 1e-6,
    `${label}: ${e.positiveSum} - ${negative.positiveSum} vs ${e.baseScore}`,
  );
  return { e, negative };
}

describe('explanations on a food-kitchen slice', () => {
  const { itemScenario, model, fusedModel, space, entries, mixed } = foodKitchenSlice();

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
          // the whole score is carried by history items (some weigh negatively)
          const { e } = splitExactly(q, item, f);
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
          // the whole score is carried by history items (some weigh negatively)
          const { e, negative } = splitExactly(q, item, f);
          // each scenario's own model reads the target scenario's entries only
          if (f === 'als')
            for (const h of [...e.positive, ...negative.positive]) assert.equal(h.scenario, scenario);
          if (e.baseScore !== 0) seen++;
        }
      }
      assert.ok(seen > 100, `${f}: ${seen} items explained`);
    }
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
});
