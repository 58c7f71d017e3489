/**
 * How often removing an explanation's top cited history item lowers the item's score, on a store
 * already trained by `fusionrec train` (so the engine runs with its fitted ranker and, when the
 * data have a time order, the sequential model's `seq` feature, whose attention shares are cited).
 *   node --import tsx bench/explain-removal.ts --db .cache/sci-train.db [--users 200] [--n 3]
 *     [--no-text] [--no-seq]
 * --no-seq: the same engine with `seq.enabled` false (the ablation). Users: the first --users
 * distinct users of the `test` split. Writes (and deletes) one copy user per checked item in the
 * store, so run it on a copy. Prints numbers; asserts nothing.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { createEncoder } from '../src/encode/create.ts';
import { createEngine } from '../src/engine/create.ts';
import { loadCatalog } from '../src/engine/snapshot.ts';
import { explanationRemoval, type RemovalTarget } from '../src/eval/explain-removal.ts';
import { dataHash, seqBaseStamp, stampOf } from '../src/model/file.ts';
import { FEATURES } from '../src/model/scoring.ts';
import { loadActiveModel, seqPrefixOf } from '../src/model/versions.ts';
import { loadSeqModel, seqStampOf } from '../src/seq/persist.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    users: { type: 'string', default: '200' },
    n: { type: 'string', default: '3' },
    'no-text': { type: 'boolean', default: false },
    'no-seq': { type: 'boolean', default: false },
  },
});
if (!args.db) throw new Error('--db <file> is required (a store trained by `fusionrec train`)');
const base = loadConfig(undefined);
const config = args['no-seq'] ? { ...base, seq: { ...base.seq, enabled: false } } : base;
const encoder = args['no-text'] ? undefined : await createEncoder(config.encoder);
const store = new SqliteStore(args.db);
try {
  const catalog = await loadCatalog(store, encoder?.id);
  const { stamp } = stampOf(await dataHash(store, catalog.itemIds), config.train);
  const trained = await loadActiveModel(store);
  const seq = await loadSeqModel(
    store,
    seqStampOf(
      seqBaseStamp(trained?.header.stamp ?? stamp, config.train),
      config.seq,
      config.train,
      encoder?.id,
    ),
    trained?.record ? seqPrefixOf(trained.version) : undefined,
  );
  console.log(
    `${args.db}: ${catalog.itemIds.length} items; trained model ${trained ? `${trained.version}${trained.header.stamp === stamp ? '' : ' (trained on other data: events since are folded in)'}` : 'ABSENT'}; sequential model ${!config.seq.enabled ? 'off (--no-seq)' : seq ? `loaded (${seq.model.report.epochs} epochs, valid NDCG@10 ${seq.model.report.validNdcg10.toFixed(4)})` : 'ABSENT'}; seq weight in the ranker ${trained?.header.ranker.shared[FEATURES.indexOf('seq')]?.toFixed(3) ?? '-'}`,
  );
  const engine = await createEngine(config, {
    store,
    encoder: encoder ?? null,
    onWarning: (m) => console.log(`warning: ${m}`),
  });
  const wanted = Number(args.users);
  const targets = new Map<string, RemovalTarget>();
  for await (const page of store.events.pages({ limit: 20_000, splits: ['test'] })) {
    for (const e of page)
      if (targets.size < wanted && !targets.has(e.user))
        targets.set(e.user, { user: e.user, scenario: e.scenario });
    if (targets.size >= wanted) break;
  }
  const t0 = Date.now();
  const r = await explanationRemoval(engine, store, [...targets.values()], { n: Number(args.n) });
  console.log(
    `explanations (${targets.size} test users x top ${args.n}): removing the top cited history item lowered the item's score in ${r.lowered}/${r.checked} cases (${((100 * r.lowered) / Math.max(1, r.checked)).toFixed(1)}%); ${r.uncited} items cited no history item; ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0]!.toFixed(1)}`,
  );
  await engine.close();
} finally {
  await store.close();
  await encoder?.close();
}
