/**
 * The training pipeline's switches on a small hand-made store whose answer is known: a pair of
 * items that co-occur only in a held-out user's request-time history, and the ablation keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import type { Event, Split } from '../src/core/types.ts';
import { createEngine } from '../src/engine/create.ts';
import { graphOptionsOf } from '../src/engine/graph-options.ts';
import { edgeWeight } from '../src/model/graph.ts';
import { loadActiveModel as loadModel, seqPrefixOf } from '../src/model/versions.ts';
import { loadSeqModel, seqStampOf } from '../src/seq/persist.ts';
import { openStore } from '../src/store/open.ts';
import type { Store } from '../src/store/types.ts';
import { trainFromStore } from '../src/train/train.ts';
import { itemGraphs } from '../src/train/train-graphs.ts';

const ITEMS = ['a', 'b', 'c', 'd', 'x', 'y'];

async function storeWith(): Promise<Store> {
  const store = await openStore(':memory:');
  await store.items.upsert(ITEMS.map((id) => ({ id, scenario: 's', title: id, available: true })));
  const events: Event[] = [];
  const add = (user: string, items: string[], split: Split) =>
    items.forEach((item, ts) => {
      events.push({ id: `${user}-${ts}`, user, item, scenario: 's', type: 'purchase', ts: 1000 + ts, split });
    });
  // training users: a-b and c-d co-occur
  for (let u = 0; u < 20; u++) add(`u${u}`, u % 2 ? ['a', 'b', 'c'] : ['c', 'd', 'a'], 'train');
  // a held-out user: x-y co-occur in the history they bring at request time, and nowhere else
  add('t0', ['x', 'y'], 'test_input');
  events.push({
    id: 't0-target',
    user: 't0',
    item: 'b',
    scenario: 's',
    type: 'purchase',
    ts: 2000,
    split: 'test',
  });
  await store.events.add(events);
  return store;
}

const settings = (train: Record<string, unknown>) =>
  parseConfig({ train: { seed: 3, ...train }, seq: { enabled: false } });

describe('trainFromStore', () => {
  it('learns from request-time histories unless train.inputHistories is off', async () => {
    const store = await storeWith();
    try {
      const x = ITEMS.indexOf('x');
      const y = ITEMS.indexOf('y');
      await trainFromStore(store, settings({}));
      const on = (await loadModel(store))!;
      assert.ok(edgeWeight(on.graphs.knn, x, y) > 0, 'x-y learned from the test_input history');
      const report = await trainFromStore(store, settings({ inputHistories: false }));
      const off = (await loadModel(store))!;
      assert.equal(edgeWeight(off.graphs.knn, x, y), 0);
      assert.ok(edgeWeight(off.graphs.knn, ITEMS.indexOf('a'), ITEMS.indexOf('b')) > 0);
      assert.equal(report.users, 20);
    } finally {
      await store.close();
    }
  });

  it('tunes the graph settings by default, over the configured grid; train.ids off learns no graph', async () => {
    const store = await storeWith();
    try {
      const tuned = await trainFromStore(store, settings({ tuneShrinks: [5, 15], tuneEaseLambdas: [30] }));
      assert.ok(tuned.graph, 'the chosen settings are reported');
      assert.ok([5, 15].includes(tuned.graph.shrink));
      assert.deepEqual(Object.keys(tuned.graph.ndcg.shrink), ['5', '15']);
      const fixed = await trainFromStore(store, settings({ tuneGraph: false }));
      assert.equal(fixed.graph, undefined);
      await trainFromStore(store, settings({ ids: false }));
      const noIds = (await loadModel(store))!;
      assert.equal(noIds.graphs.knn.items.length, 0);
      assert.ok(noIds.graphs.counts[ITEMS.indexOf('a')]! > 0, 'popularity still counted');
    } finally {
      await store.close();
    }
  });

  it('the fitted and the served graphs carry the latent model, tuned or not; alsFactors 0 leaves it out', async () => {
    const store = await storeWith();
    try {
      await trainFromStore(store, settings({ alsFactors: 4 }));
      assert.equal((await loadModel(store))!.graphs.als?.dim, 4);
      await trainFromStore(store, settings({ alsFactors: 0 }));
      assert.equal((await loadModel(store))!.graphs.als, undefined);
      // the graphs the ranker is fitted with, with their settings tuned on fitting cases or not
      const seqs = [
        [0, 1, 2],
        [2, 3, 0],
        [0, 1, 2],
      ];
      for (const tuneGraph of [true, false]) {
        const cfg = settings({ alsFactors: 4, tuneGraph }).train;
        const stage = await itemGraphs({
          store,
          cfg,
          numItems: ITEMS.length,
          scenarioOf: () => 's',
          base: graphOptionsOf(cfg),
          fitSequences: () => seqs,
          allSequences: undefined,
          cases: [
            {
              history: [{ item: 0, scenario: 's', weight: 1, ts: 0 }],
              scenario: 's',
              target: 1,
              masked: new Set([0]),
            },
          ],
          fitStamp: `fit-${tuneGraph}`,
          finalStamp: `final-${tuneGraph}`,
          progress: () => {},
        });
        assert.equal(stage.fit.als?.dim, 4, `tuneGraph ${tuneGraph}`);
      }
    } finally {
      await store.close();
    }
  });

  it("the served model carries the catalogue's attribute graph; attrNeighbors 0 leaves it out", async () => {
    const store = await storeWith();
    try {
      // a and x share a brand, no one else does; c has a tag of its own alone
      await store.items.upsert([
        { id: 'a', scenario: 's', title: 'a', attributes: { brand: 'Acme' }, available: true },
        { id: 'x', scenario: 's', title: 'x', attributes: { brand: 'acme' }, available: true },
        { id: 'c', scenario: 's', title: 'c', tags: ['solo'], available: true },
      ]);
      await trainFromStore(store, settings({}));
      const attr = (await loadModel(store))!.graphs.attr;
      assert.ok(attr, 'an attribute graph is saved');
      const [a, x, c] = ['a', 'x', 'c'].map((id) => ITEMS.indexOf(id)) as [number, number, number];
      assert.ok(Math.abs(edgeWeight(attr, a, x) - 1) < 1e-6, 'a and x share all their shared metadata');
      assert.equal(attr.offsets[c + 1]! - attr.offsets[c]!, 0, 'a token of one item links nothing');
      await trainFromStore(store, settings({ attrNeighbors: 0 }));
      assert.equal((await loadModel(store))!.graphs.attr, undefined);
    } finally {
      await store.close();
    }
  });

  it('train.attrTitleWords builds the attribute graph from the titles of items without metadata', async () => {
    const store = await storeWith();
    try {
      // only b and y share a title word; a word of one item alone is dropped, so they share all
      // their kept tokens, and the one-letter titles of the others give no word
      await store.items.upsert([
        { id: 'b', scenario: 's', title: 'Sanding roll', available: true },
        { id: 'y', scenario: 's', title: 'Sanding belt', available: true },
      ]);
      await trainFromStore(store, settings({ attrTitleWords: 'never' }));
      assert.equal((await loadModel(store))!.graphs.attr, undefined, 'titles are not metadata');
      await trainFromStore(store, settings({}));
      const attr = (await loadModel(store))!.graphs.attr;
      assert.ok(attr, 'with title words an attribute graph is saved');
      const [a, b, y] = ['a', 'b', 'y'].map((id) => ITEMS.indexOf(id)) as [number, number, number];
      assert.ok(Math.abs(edgeWeight(attr, b, y) - 1) < 1e-6, 'b and y share the word sanding');
      assert.equal(attr.offsets[a + 1]! - attr.offsets[a]!, 0, 'a title of one letter links nothing');
    } finally {
      await store.close();
    }
  });

  it('the graphs built beside the item graphs on a thread of their own are those of one thread', async () => {
    const store = await storeWith();
    try {
      await store.items.upsert(
        ITEMS.map((id, i) => ({ id, scenario: 's', title: id, category: [`c${i % 3}`], available: true })),
      );
      const graphsWith = async (threads: number) => {
        const report = await trainFromStore(
          store,
          parseConfig({ train: { seed: 3, threads, heldOutCases: 10 }, seq: { enabled: false } }),
        );
        assert.ok(report.heldOutCases > 0, 'targets are held out: the fit and the served graphs differ');
        return (await loadModel(store))!.graphs;
      };
      const one = await graphsWith(1);
      assert.ok(one.attr && one.als, 'an attribute graph and a factorisation');
      assert.deepEqual(await graphsWith(2), one);
    } finally {
      await store.close();
    }
  });

  it('seq.metadata feeds the sequential model the metadata where the items have no text vectors', async () => {
    const store = await storeWith();
    try {
      await store.items.upsert(
        ITEMS.map((id, i) => ({
          id,
          scenario: 's',
          title: id,
          attributes: { brand: `b${i % 2}` },
          available: true,
        })),
      );
      const textDimOf = async (metadata: boolean, attrTitleWords = 'never') => {
        const config = parseConfig({
          train: { seed: 3, attrTitleWords },
          seq: { metadata, epochs: 1, validCases: 1, dim: 8, negatives: 3, batchSize: 8 },
        });
        const report = await trainFromStore(store, config);
        assert.ok(report.seq, 'a sequential model is trained');
        const active = (await loadModel(store))!;
        const seq = await loadSeqModel(
          store,
          seqStampOf(active.header.stamp, config.seq, config.train, undefined),
          seqPrefixOf(report.version),
        );
        return seq!.model.shape.textDim;
      };
      assert.equal(await textDimOf(false), 0, 'ids only');
      assert.ok((await textDimOf(true)) > 0, 'the metadata as the text input');
      // titles alone: title words build an attribute graph but are no input to the model
      await store.items.upsert(
        ITEMS.map((id, i) => ({ id, scenario: 's', title: `word${i % 2} ${id}`, available: true })),
      );
      assert.equal(await textDimOf(true, 'missing'), 0, "title words are not the model's metadata");
      assert.ok((await loadModel(store))!.graphs.attr, 'they make the attribute graph');
    } finally {
      await store.close();
    }
  });

  it('full-ranking mode (engine.candidates 0) ranks every unseen item of the scenario', async () => {
    const store = await storeWith();
    try {
      const config = parseConfig({
        train: { seed: 3 },
        seq: { enabled: false },
        engine: { candidates: 0, diversity: 0, staleModel: 'error' },
      });
      await trainFromStore(store, config);
      const engine = await createEngine(config, { store, encoder: null });
      try {
        const r = await engine.recommend({ user: 'u1', scenario: 's', n: 10 });
        // u1 has a, b and c: every other item comes back, all from the whole catalog
        assert.deepEqual(r.items.map((i) => i.item).sort(), ['d', 'x', 'y']);
        assert.deepEqual(r.retrievers, ['catalog']);
        const scored = engine.scoreAll!({ user: 'u1', scenario: 's', history: [] });
        assert.equal(scored.items.length, ITEMS.length);
      } finally {
        await engine.close();
      }
    } finally {
      await store.close();
    }
  });
});
