import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlsModel } from '../model/als.ts';
import { collaborativeRetriever } from './collaborative.ts';
import type { RetrievalSignals } from './types.ts';

describe('collaborative retrieval', () => {
  // items 0..5 in scenario 0, item 6 in scenario 1; the graphs reach 1 and 2, the latent model
  // predicts 3 best, then 5, then 1
  const knnSame = Float32Array.from([0, 0.4, 0.9, 0, 0, 0, 0.8]);
  const zero = new Float32Array(7);
  const als: AlsModel = {
    dim: 1,
    items: Float32Array.from([0, 0.1, 0, 0.9, -0.2, 0.5, 1]),
    gram: Float64Array.of(1),
    alpha: 1,
  };
  const signals = (withAls: boolean) =>
    ({
      scenarioCode: 0,
      model: {
        scenarioCode: Uint16Array.from([0, 0, 0, 0, 0, 0, 1]),
        scenarioItems: [Int32Array.from([0, 1, 2, 3, 4, 5]), Int32Array.from([6])],
        graphs: withAls ? { als } : {},
      },
      knnSame,
      knnCross: zero,
      trans: zero,
      touched: Int32Array.from([1, 2, 6]),
      alsUser: withAls ? Float32Array.of(1) : undefined,
    }) as unknown as RetrievalSignals;

  it("takes the graphs' neighbours and the latent model's predictions in turn, in the scenario", () => {
    const got = collaborativeRetriever.retrieve({ signals: signals(true), k: 10, skip: () => false });
    assert.deepEqual(got, [2, 3, 1, 5]);
  });

  it('leaves out skipped items, and reads the graphs alone without a latent model', () => {
    assert.deepEqual(
      collaborativeRetriever.retrieve({ signals: signals(true), k: 10, skip: (i) => i === 3 }),
      [2, 5, 1],
    );
    assert.deepEqual(
      collaborativeRetriever.retrieve({ signals: signals(false), k: 10, skip: () => false }),
      [2, 1],
    );
    assert.deepEqual(
      collaborativeRetriever.retrieve({ signals: signals(true), k: 2, skip: () => false }),
      [2, 3],
    );
  });

  it('in a cold start from another scenario, adds what the users arriving from it take up, in turn', () => {
    // no own entry; the other scenario's history reached 1 and 2; arrivals favour 4, then 0, 5 never
    const popularityCross = Float32Array.from([0.5, 0, 0.2, 0, 1, 0, 0.9]);
    const cold = (other: boolean, ownCount: number) =>
      ({
        ...signals(false),
        model: { ...signals(false).model, popularityCross },
        knnSame: zero,
        knnCross: knnSame,
        other,
        ownCount,
        usersCross: new Map(),
      }) as unknown as RetrievalSignals;
    const at = (s: RetrievalSignals, k = 10) =>
      collaborativeRetriever.retrieve({ signals: s, k, skip: () => false });
    assert.deepEqual(at(cold(true, 0)), [2, 4, 1, 0]);
    assert.deepEqual(at(cold(true, 0), 3), [2, 4, 1]);
    // own history, or no other scenario: the graphs alone
    assert.deepEqual(at(cold(true, 2)), [2, 1]);
    assert.deepEqual(at(cold(false, 0)), [2, 1]);
  });
});
