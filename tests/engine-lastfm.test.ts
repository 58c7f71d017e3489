/**
 * The engine on a real lastfm-2k slice, under the harness's protocol (random 20% hold-out per
 * user, full ranking, history masked): listening histories carry no time order, which the item
 * graphs must detect (whole-history co-occurrence) and where the EASE item model adds evidence
 * co-occurrence lacks. The bar is item-KNN, the strongest baseline on the full data.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { seededRandom } from '../src/core/rng.ts';
import type { EvalCase } from '../src/eval/dataset.ts';
import { PROTOCOLS } from '../src/eval/dataset.ts';
import { Harness } from '../src/eval/harness.ts';
import { ndcg } from '../src/eval/metrics.ts';
import { EngineEvalModel } from '../src/eval/models/engine.ts';
import { ItemKnn } from '../src/eval/models/itemknn.ts';
import { Popularity } from '../src/eval/models/popularity.ts';
import type { EvalData, EvalInteraction, EvalModel } from '../src/eval/types.ts';
import { LASTFM_MUSIC } from '../src/ingest/datasets/lastfm-2k.ts';

const FILE = new URL('../../shared/data/lastfm-2k/user_artists.dat', import.meta.url);

/** the first `users` users of the file, artists with at least `minListeners` of them */
function lastfmSlice(users: number, minListeners: number, seed: number) {
  const rows = readFileSync(FILE, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split('\t'));
  const byUser = new Map<string, { artist: string; plays: number }[]>();
  for (const [u, a, w] of rows) {
    if (!byUser.has(u!) && byUser.size >= users) continue;
    const list = byUser.get(u!) ?? [];
    list.push({ artist: a!, plays: Number(w) });
    byUser.set(u!, list);
  }
  const listeners = new Map<string, number>();
  for (const list of byUser.values())
    for (const r of list) listeners.set(r.artist, (listeners.get(r.artist) ?? 0) + 1);
  const itemIds = [...listeners].filter(([, c]) => c >= minListeners).map(([a]) => a);
  const index = new Map(itemIds.map((a, i) => [a, i]));
  const rand = seededRandom(seed);
  const data: EvalData = {
    dataset: 'lastfm-2k',
    itemIds,
    itemScenario: itemIds.map(() => 'music'),
    itemText: itemIds.map(() => ''),
    scenarios: ['music'],
    users: [],
  };
  const valid: EvalCase[] = [];
  const test: EvalCase[] = [];
  for (const [user, list] of byUser) {
    const events: EvalInteraction[] = list
      .filter((r) => index.has(r.artist))
      .map((r) => ({ item: index.get(r.artist)!, scenario: 'music', type: 'play', value: r.plays, ts: 0 }));
    if (events.length < 10) continue;
    const shuffled = events.map((e) => ({ e, k: rand() })).sort((a, b) => a.k - b.k);
    const nTest = Math.round(events.length * 0.2);
    const nValid = Math.round((events.length - nTest) * 0.1);
    const testE = new Set(shuffled.slice(0, nTest).map((x) => x.e));
    const validE = new Set(shuffled.slice(nTest, nTest + nValid).map((x) => x.e));
    const train = events.filter((e) => !testE.has(e) && !validE.has(e));
    data.users.push({ user, train });
    const q = (history: EvalInteraction[]) => ({ user, history, scenario: 'music' });
    valid.push({ query: q(train), targets: [...validE].map((e) => e.item), slices: [] });
    test.push({
      query: q(events.filter((e) => !testE.has(e))),
      targets: [...testE].map((e) => e.item),
      slices: [],
    });
  }
  return { data, protocol: PROTOCOLS['lastfm-2k'], valid, test, notes: [] };
}

describe('the engine on a lastfm-2k slice (order-free listening data)', () => {
  it('beats item-KNN and popularity (NDCG@10, full ranking, history masked)', async (t) => {
    const set = lastfmSlice(800, 8, 7);
    const harness = new Harness(set, { seed: 42, tuneCases: 400 });
    const fitOpts = {
      valid: harness.tuneCases.map((c) => ({ query: c.query, target: c.targets[0]! })),
      seed: 42,
      objective: harness.objective,
      // the importer's scenario (its event weights), repeats off as `fusionrec eval` writes it
      scenarios: [{ ...LASTFM_MUSIC, allowRepeats: false }],
    };
    const testNdcg = async (m: EvalModel) => {
      await m.fit(set.data, fitOpts);
      let sum = 0;
      for (const c of set.test)
        sum += ndcg(new Set(c.targets), harness.rankFull(m.score(c.query), c.query), 10);
      return sum / set.test.length;
    };
    const engine = new EngineEvalModel('engine');
    const eng = await testNdcg(engine);
    const knn = await testNdcg(new ItemKnn());
    const pop = await testNdcg(new Popularity());
    t.diagnostic(`engine ${eng.toFixed(4)}, item-KNN ${knn.toFixed(4)}, popularity ${pop.toFixed(4)}`);
    assert.equal(engine.params().wholeHistory, true, 'undated listens are detected as order-free');
    assert.ok(
      eng > knn && eng > 2 * pop,
      `engine ${eng.toFixed(4)}, item-KNN ${knn.toFixed(4)}, popularity ${pop.toFixed(4)}`,
    );
  });
});
