import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import { isRecError } from '../src/core/errors.ts';
import { createEngine } from '../src/engine/create.ts';
import { FEATURES, NUM_FEATURES } from '../src/model/scoring.ts';
import { loadActiveModel as loadModel } from '../src/model/versions.ts';
import { trainFromStore } from '../src/train/train.ts';
import { foodKitchenSlice, type Slice } from './engine-fixture.ts';

// graph tuning runs on a one-point grid here (the grid itself is tested in tests/train-pipeline.test.ts):
// every test below trains several times, and a full grid costs nine graph builds each time
const GRID = { tuneShrinks: [20], tuneEaseLambdas: [100] };

describe('training on a real food-kitchen slice', () => {
  let slice: Slice;
  // a small sequential model keeps the test quick; src/seq tests cover its quality
  const config = parseConfig({
    train: { ...GRID, fitCases: 100, heldOutCases: 40, decays: [0.5, 0.9] },
    seq: { dim: 16, textDim: 16, epochs: 3, negatives: 64 },
  });

  before(async () => {
    slice = await foodKitchenSlice({ overlap: 300, single: 100, heldOut: 20, valid: 60 });
  });
  after(async () => {
    await slice.close();
  });

  it('fits the ranker on the valid split topped up with held-out cases, deterministically, no worse than the default weights', async () => {
    const phases = new Set<string>();
    const a = await trainFromStore(slice.store, config, {
      encoderId: slice.encoder.id,
      onProgress: (p) => phases.add(p),
    });
    assert.equal(a.validCases, 60);
    assert.equal(a.heldOutCases, 40);
    assert.ok(a.validNdcg10 >= a.defaultNdcg10, `${a.validNdcg10} < ${a.defaultNdcg10}`);
    assert.ok(phases.has('item graphs') && phases.has('ranker fit'));
    // the sequential model trained, was saved, and its score is one of the ranker's features
    assert.equal(a.seq?.reused, false);
    assert.ok((a.seq?.epochs ?? 0) >= 1);
    assert.equal(a.ranker.shared.length, NUM_FEATURES);
    assert.ok(FEATURES.includes('seq'));
    assert.ok((await slice.store.blobs.keys('model')).includes('seq.header'));
    const b = await trainFromStore(slice.store, config, { encoderId: slice.encoder.id });
    assert.equal(b.seq?.reused, true);
    assert.deepEqual(b.ranker, a.ranker);
    assert.equal(b.stamp, a.stamp);
  });

  it('an engine serves the active version with the events since folded in, and detects a stale one', async () => {
    const fresh = await createEngine(config, { store: slice.store, encoder: slice.encoder });
    const version = (await fresh.recommend({ user: 'v1', scenario: 'food', n: 3 })).modelVersion;
    assert.ok(!version.startsWith('untrained'), version);
    await fresh.addEvents([
      { id: 'late-1', user: 'v1', item: '0', scenario: 'food', type: 'purchase', ts: 1_700_000_000_000 },
    ]);
    await fresh.close();
    // an event after training is the tail a boot folds in, not a reason to drop the model
    const strict = parseConfig({ ...config, engine: { staleModel: 'error' } });
    const again = await createEngine(strict, { store: slice.store, encoder: slice.encoder });
    assert.equal((await again.recommend({ user: 'v1', scenario: 'food', n: 3 })).modelVersion, version);
    await again.close();
    // another train config is
    const otherTrain = { ...config.train, window: config.train.window + 1 };
    await assert.rejects(
      createEngine(parseConfig({ ...config, train: otherTrain, engine: { staleModel: 'error' } }), {
        store: slice.store,
        encoder: slice.encoder,
      }),
      (e) => isRecError(e) && e.code === 'MODEL_STALE',
    );
    const warnings: string[] = [];
    const lenient = await createEngine(parseConfig({ ...config, train: otherTrain }), {
      store: slice.store,
      encoder: slice.encoder,
      onWarning: (m) => warnings.push(m),
    });
    assert.equal(warnings.length, 1);
    const r = await lenient.recommend({ user: 'v1', scenario: 'kitchen', n: 4 });
    assert.ok(r.modelVersion.startsWith('untrained'));
    assert.equal(r.items.length, 4);
    await lenient.close();
  });

  it('stops on an abort signal and resumes from the saved item graphs', async () => {
    await slice.store.events.add([
      { id: 'late-2', user: 'v2', item: '1', scenario: 'food', type: 'purchase', ts: 1_700_000_000_001 },
    ]);
    const ac = new AbortController();
    await assert.rejects(
      trainFromStore(slice.store, config, {
        encoderId: slice.encoder.id,
        signal: ac.signal,
        onProgress: (p) => {
          if (p === 'ranker fit' || p === 'candidate pools') ac.abort();
        },
      }),
    );
    const resumed = await trainFromStore(slice.store, config, { encoderId: slice.encoder.id });
    assert.ok(resumed.resumed);
  });

  it('builds the ranker fit on 2 threads to the same weights as on 1, under the same stamp', async () => {
    const on = (threads: number) =>
      parseConfig({
        train: { ...GRID, fitCases: 100, heldOutCases: 40, decays: [0.5, 0.9], threads },
        seq: { enabled: false },
      });
    const one = await trainFromStore(slice.store, on(1), { encoderId: slice.encoder.id });
    const two = await trainFromStore(slice.store, on(2), { encoderId: slice.encoder.id });
    assert.equal(two.validCases, 60);
    assert.deepEqual(two.ranker, one.ranker);
    assert.equal(two.validNdcg10, one.validNdcg10);
    assert.equal(two.defaultNdcg10, one.defaultNdcg10);
    assert.equal(two.stamp, one.stamp);
  });

  // last in this block: it activates models of other configs in the shared store
  it('stops the sequential model on validation targets the ranker is not fitted on, where there are enough', async () => {
    // 60 validation targets, 30 sampled for the fit: 30 left apart
    const train = { ...config.train, fitCases: 30, heldOutCases: 0 };
    const run = (seq: Record<string, unknown>) =>
      trainFromStore(slice.store, parseConfig({ train, seq: { ...config.seq, ...seq } }), {
        encoderId: slice.encoder.id,
      });
    const fitting = await run({ validCases: 30 });
    const apart = await run({ validCases: 30, stopOn: 'apart' });
    assert.equal(fitting.validCases, 30);
    assert.equal(apart.validCases, 30, 'the ranker fits on the same cases either way');
    assert.notEqual(apart.seq?.validNdcg10, fitting.seq?.validNdcg10, 'another set of valid cases');
    // fewer apart than validCases: the fitting cases again, the same model
    const fallback = await run({ validCases: 31, stopOn: 'apart' });
    const same = await run({ validCases: 31 });
    assert.equal(fallback.seq?.validNdcg10, same.seq?.validNdcg10);
  });

  it("with users kept for cross-scenario matching, the saved rows carry their users' keys and an engine serves with them", async () => {
    const users = parseConfig({ train: { ...config.train, crossUsers: 20 }, seq: { enabled: false } });
    const r = await trainFromStore(slice.store, users, { encoderId: slice.encoder.id });
    const kept = (await loadModel(slice.store))!.graphs.users!;
    const rows = kept.rows.offsets.length - 1;
    assert.ok(rows >= 200, `${rows} users kept`);
    assert.equal(kept.keys?.length, rows);
    // every row knows its user, and no two users share a key on this slice
    assert.ok(kept.keys!.every((k) => k !== 0));
    assert.equal(new Set(kept.keys).size, rows);
    assert.equal(r.ranker.shared.length, NUM_FEATURES);
    // an engine boots on the model and serves a scenario
    const engine = await createEngine(users, { store: slice.store, encoder: slice.encoder });
    try {
      const got = await engine.recommend({ user: 'v1', scenario: 'kitchen', n: 3 });
      assert.ok(got.items.length > 0);
    } finally {
      await engine.close();
    }
  });
});

describe('training on events with no validation split (a live store)', () => {
  let slice: Slice;
  before(async () => {
    slice = await foodKitchenSlice({ overlap: 200, single: 60, heldOut: 40, valid: 0 });
  });
  after(async () => {
    await slice.close();
  });

  it('fits the ranker on cases held out from the training events; the saved graphs keep every event', async () => {
    const config = parseConfig({
      train: { ...GRID, heldOutCases: 80, decays: [0.5, 0.9] },
      seq: { enabled: false },
    });
    const r = await trainFromStore(slice.store, config, { encoderId: slice.encoder.id });
    assert.equal(r.validCases, 0);
    assert.equal(r.heldOutCases, 80);
    assert.ok(r.validNdcg10 > 0 && r.validNdcg10 >= r.defaultNdcg10, `${r.validNdcg10} < ${r.defaultNdcg10}`);
    // the served graphs count every training event, the held-out targets included
    const model = await loadModel(slice.store);
    let counted = 0;
    for (const c of model!.graphs.counts) counted += c;
    const trainEvents = (await slice.store.events.scan({ limit: 1_000_000, splits: ['train', 'test_input'] }))
      .events.length;
    assert.equal(counted, trainEvents);
    // and no checkpoint is left behind
    assert.deepEqual(
      (await slice.store.blobs.keys('model')).filter((k) => k.startsWith('checkpoint.')),
      [],
    );
    // without held-out cases there is nothing to fit on: the default weights stay
    const none = await trainFromStore(
      slice.store,
      parseConfig({ ...config, train: { ...GRID, heldOutCases: 0 } }),
      {
        encoderId: slice.encoder.id,
      },
    );
    assert.equal(none.validCases + none.heldOutCases, 0);
    // they top the validation split up to train.fitCases, no further
    const capped = await trainFromStore(
      slice.store,
      parseConfig({ ...config, train: { ...GRID, heldOutCases: 80, fitCases: 50 } }),
      { encoderId: slice.encoder.id },
    );
    assert.equal(capped.heldOutCases, 50);
  });
});
