import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildScoringModel } from '../model/build.ts';
import { DEFAULT_GRAPH_OPTIONS } from '../model/graph.ts';
import { FEATURE } from '../model/scoring.ts';
import { buildProfile, DEFAULT_PROFILE_OPTIONS } from '../profile/interests.ts';
import { featuresOf, prepareQuery } from '../rank/query.ts';
import { appendItems } from './grow.ts';

test('items added to a live model keep the latent model: old items score as before, new ones 0', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const sequences = [
    [0, 1, 2],
    [0, 1, 3],
    [1, 2, 3],
    [4, 5],
    [0, 2, 3],
  ];
  const m = buildScoringModel({ itemIds: ids, titles: [], itemScenario: ids.map(() => 's') }, sequences, {
    graph: { ...DEFAULT_GRAPH_OPTIONS, als: { factors: 3, reg: 1, alpha: 5, iters: 4 } },
  });
  const score = (item: number) => {
    const profile = buildProfile(
      'u',
      [0, 1].map((i, ts) => ({ item: i, scenario: 's', weight: 1, ts })),
      { dim: 0, vector: () => undefined, title: () => '' },
      DEFAULT_PROFILE_OPTIONS,
    );
    return featuresOf(prepareQuery(m, profile, { scenario: 's' }), item)[FEATURE.als]!;
  };
  const before = score(2);
  assert.ok(before > 0);
  const latent = m.graphs.als;
  assert.ok(latent);
  const [added] = appendItems(m, [{ id: 'g', title: '', scenario: 's', vector: undefined }]);
  assert.equal(m.graphs.als, latent);
  assert.equal(score(2), before);
  assert.equal(score(added!), 0);
});
