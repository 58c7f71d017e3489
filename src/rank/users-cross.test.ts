/**
 * The `usersCross` feature through a query: read from the history's entries outside the target
 * scenario only, 0 for a history of one scenario, credited in explanations to those entries, and
 * a source of candidates for a user new to the scenario.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/rng.ts';
import { buildScoringModel } from '../model/build.ts';
import { DEFAULT_GRAPH_OPTIONS } from '../model/graph.ts';
import { FEATURE, itemSpaceOf, NUM_FEATURES, weightsByName } from '../model/scoring.ts';
import { crossUserScores, userKeyHash, withUserKeys } from '../model/users.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../profile/interests.ts';
import type { HistoryEntry } from '../profile/types.ts';
import { collaborativeRetriever } from '../retrieve/collaborative.ts';
import { explainBase } from './explain.ts';
import { featuresOf, prepareQuery } from './query.ts';

// 60 items: 0-29 shop, 30-59 music; 300 seeded users, most active in both
const N = 60;
const itemScenario = Array.from({ length: N }, (_, i) => (i < 30 ? 'shop' : 'music'));
const rnd = seededRandom(5);
const sequences = Array.from({ length: 300 }, (_, u) => {
  // a user's taste: a band of shop items and the matching band of music items
  const band = u % 6;
  const pick = (base: number) => base + band * 5 + Math.floor(rnd() * 5);
  const len = 3 + Math.floor(rnd() * 5);
  return Array.from({ length: len }, (_, k) => (u % 10 === 0 || k % 2 === 0 ? pick(0) : pick(30)));
});
const model = buildScoringModel(
  { itemIds: itemScenario.map((_, i) => `i${i}`), titles: [], itemScenario },
  sequences,
  {
    graph: { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0, crossUsers: 20 },
  },
);
const space = itemSpaceOf(model);
const profileOf = (items: number[], user = 'u') =>
  buildProfile(
    user,
    items.map((item, ts): HistoryEntry => ({ item, scenario: itemScenario[item]!, weight: 1, ts })),
    space,
    DEFAULT_PROFILE_OPTIONS,
  );
const one = { ...model, ranker: { ...model.ranker, shared: weightsByName({ usersCross: 1 }) } };

describe('usersCross through a query', () => {
  it('the training users active in both scenarios are kept', () => {
    assert.ok(model.graphs.users);
    assert.equal(model.graphs.users.rows.offsets.length - 1, 270);
    assert.equal(model.graphs.users.keys, undefined, 'no user keys given');
    // built with each sequence's user key (an engine from the store's events): the rows carry them
    const names = sequences.map((_, u) => `user${u}`);
    const withKeys = buildScoringModel({ itemIds: model.itemIds, titles: [], itemScenario }, sequences, {
      graph: { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0, crossUsers: 20 },
      users: names,
    });
    const want = withUserKeys(model.graphs.users, sequences, (i) => itemScenario[i]!, names).keys;
    assert.deepEqual(withKeys.graphs.users?.keys, want);
  });

  it("scores the target scenario's items from the entries of the other scenarios", () => {
    const shop = [0, 3, 1];
    const q = prepareQuery(one, profileOf(shop), { scenario: 'music' });
    assert.ok(q.usersCross.size > 0);
    for (const i of q.usersCross.keys()) assert.equal(itemScenario[i], 'music');
    // the band of music items matching the shop band leads
    const best = [...q.usersCross.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    assert.ok(best >= 30 && best < 35, `best ${best}`);
    const f = new Float32Array(NUM_FEATURES);
    featuresOf(q, best, f);
    assert.equal(f[FEATURE.usersCross], 1);
    // a mixed history reads its shop entries only
    const mixed = prepareQuery(one, profileOf([0, 31, 3, 32, 1]), { scenario: 'music' });
    const want = crossUserScores(
      model.graphs.users!,
      model.scenarioCode,
      shop,
      model.scenarios.indexOf('music'),
    );
    assert.deepEqual([...mixed.usersCross.entries()].sort(), [...want.entries()].sort());
    // one scenario only: nothing
    assert.equal(prepareQuery(one, profileOf([31, 32]), { scenario: 'music' }).usersCross.size, 0);
    featuresOf(prepareQuery(one, profileOf([31, 32]), { scenario: 'music' }), best, f);
    assert.equal(f[FEATURE.usersCross], 0);
  });

  it("a training user's own row is not matched with their requests", () => {
    const keyed = {
      ...one,
      graphs: {
        ...one.graphs,
        users: withUserKeys(
          one.graphs.users!,
          sequences,
          (i) => itemScenario[i]!,
          sequences.map((_, u) => `user${u}`),
        ),
      },
    };
    const music = model.scenarios.indexOf('music');
    // user 1's shop entries, asked for music as user 1 and as someone else
    const shop = sequences[1]!.filter((i) => itemScenario[i] === 'shop');
    const asSelf = prepareQuery(keyed, profileOf(shop, 'user1'), { scenario: 'music' }).usersCross;
    const asOther = prepareQuery(keyed, profileOf(shop, 'someone'), { scenario: 'music' }).usersCross;
    const users = keyed.graphs.users;
    assert.deepEqual(
      [...asSelf].sort(),
      [...crossUserScores(users, model.scenarioCode, shop, music, userKeyHash('user1'))].sort(),
    );
    assert.deepEqual(
      [...asOther].sort(),
      [...crossUserScores(users, model.scenarioCode, shop, music)].sort(),
    );
    assert.notDeepEqual([...asSelf].sort(), [...asOther].sort());
  });

  it("explanations split the score exactly over the other scenario's entries", () => {
    const q = prepareQuery(one, profileOf([0, 31, 3, 12]), { scenario: 'music' });
    let seen = 0;
    for (const item of q.usersCross.keys()) {
      const e = explainBase(q, item, 50);
      assert.ok(Math.abs(e.positiveSum - e.baseScore) < 1e-5, `${e.positiveSum} vs ${e.baseScore}`);
      for (const h of e.positive) assert.equal(h.scenario, 'shop');
      seen++;
    }
    assert.ok(seen >= 5, `${seen} explained`);
  });

  it("proposes the matched users' items to a user new to the scenario", () => {
    const q = prepareQuery(one, profileOf([20, 21, 23]), { scenario: 'music' });
    const best = [...q.usersCross.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    // without the graphs' and the latent model's evidence, what is proposed comes from the users
    const none = new Float32Array(N);
    const signals = { ...q, knnSame: none, knnCross: none, trans: none, alsFusedUser: undefined };
    const got = collaborativeRetriever.retrieve({ signals, k: 10, skip: () => false });
    assert.ok(got.includes(best), `${best} in ${got}`);
    assert.ok(got.every((i) => q.usersCross.has(i)));
    // a user with history in the scenario is not proposed them here
    const known = prepareQuery(one, profileOf([20, 21, 50]), { scenario: 'music' });
    const plain = {
      ...known,
      knnSame: none,
      knnCross: none,
      trans: none,
      alsUser: undefined,
      alsFusedUser: undefined,
    };
    assert.deepEqual(collaborativeRetriever.retrieve({ signals: plain, k: 10, skip: () => false }), []);
  });
});
