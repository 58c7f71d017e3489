/**
 * Erasing a user (the one path the API, the library and `fusionrec delete-user` share): their rows
 * and blobs leave the store, their contribution leaves the trained model in the store (item
 * graphs and counts, src/model/erase.ts) and, through `inMemory`, the running engine; the erased
 * events are tallied so the model's data stamp does not change for everyone else; then the store
 * is checkpointed, which rewrites the file so no freed copy of the user stays in it or its WAL.
 */
import type { Config } from '../config/schema.ts';
import { applyGraphErasure, type GraphErasure, graphErasure, type PairRules } from '../model/erase.ts';
import { MODEL_NAMESPACE, recordErasedEvents, saveGraphs } from '../model/file.ts';
import type { ItemGraphs } from '../model/graph.ts';
import { userKeyHash } from '../model/users.ts';
import { storedGraphs } from '../model/versions.ts';
import { eventWeight } from '../profile/weights.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import { graphOptionsOf, historiesCarryNoOrder } from './graph-options.ts';
import { type Interactions, loadInteractions, sequencesOf } from './snapshot.ts';

/** splits whose events are held-out targets, never training data (as in snapshot.ts) */
export const isHeldOut = (e: Pick<StoredEvent, 'split'>): boolean =>
  e.split === 'valid' || e.split === 'test';

/** what an in-memory erasure is given: the user's events as they were, and everyone else's */
export interface ErasureSource {
  user: string;
  /** every event of the user, read before they were erased */
  events: readonly StoredEvent[];
  /** every other user's interactions under an item index (read once per index, after the erasure) */
  others(index: ReadonlyMap<string, number>): Promise<Interactions>;
  config: Config;
}

/** the user's positive training events in an index, chronological: their training sequence */
export function trainingSequence(
  events: readonly StoredEvent[],
  index: ReadonlyMap<string, number>,
  weightsOf: (scenario: string) => Record<string, number>,
  keep: (e: StoredEvent) => boolean = () => true,
): number[] {
  return [...events]
    .filter((e) => !isHeldOut(e) && keep(e) && index.has(e.item) && eventWeight(e, weightsOf(e.scenario)) > 0)
    .sort((a, b) => a.ts - b.ts || a.seq - b.seq)
    .map((e) => index.get(e.item)!);
}

/** the pair rules the graphs of `config` were built with, on data whose order is `inter`'s */
function pairRulesOf(config: Config, inter: Interactions, scenarioOf: (i: number) => string): PairRules {
  const o = graphOptionsOf(config.train, historiesCarryNoOrder(inter));
  return { ...o, scenarioOf };
}

/**
 * What the user's training sequence `mine` takes out of `graphs`; everyone else's interactions are
 * read only when the sequence holds a pair of items (else only counts change).
 */
export async function erasureOf(
  graphs: ItemGraphs,
  mine: readonly number[],
  index: ReadonlyMap<string, number>,
  weightsOf: (scenario: string) => Record<string, number>,
  scenarioOf: (item: number) => string,
  s: ErasureSource,
  keep?: (e: StoredEvent) => boolean,
): Promise<GraphErasure> {
  // the user's row among the users kept for cross-scenario matching goes by their key
  const user = userKeyHash(s.user);
  if (new Set(mine).size < 2)
    return {
      ...graphErasure(graphs, mine, () => [], { ...graphOptionsOf(s.config.train), scenarioOf }),
      user,
    };
  const inter = await s.others(index);
  const e = graphErasure(
    graphs,
    mine,
    () => sequencesOf(inter, index, weightsOf, keep),
    pairRulesOf(s.config, inter, scenarioOf),
  );
  return { ...e, user };
}

/**
 * Erases the user everywhere the store holds them and, through `inMemory`, from a running engine.
 * Returns the rows removed (0: no such user; nothing else is done).
 */
export async function eraseUser(
  store: Store,
  config: Config,
  user: string,
  inMemory?: (source: ErasureSource) => Promise<void>,
): Promise<number> {
  const events = await store.events.ofUser(user);
  const removed = await store.deleteUser(user);
  if (removed === 0) return 0;
  const read = new Map<ReadonlyMap<string, number>, Promise<Interactions>>();
  const source: ErasureSource = {
    user,
    events,
    config,
    others(index) {
      let got = read.get(index);
      if (!got) {
        got = loadInteractions(store, index);
        read.set(index, got);
      }
      return got;
    },
  };
  await inMemory?.(source);
  await eraseFromStoredModel(store, source);
  const bySplit: Record<string, number> = {};
  for (const e of events) bySplit[e.split ?? 'none'] = (bySplit[e.split ?? 'none'] ?? 0) + 1;
  await recordErasedEvents(store, bySplit);
  await store.checkpoint();
  return removed;
}

/**
 * Every trained model in the store (each version, so a rollback does not bring the user back)
 * loses the user's contribution (its stamp stays: see `dataHash`); training checkpoints, which
 * hold it too and only speed up a rerun, are dropped.
 */
async function eraseFromStoredModel(store: Store, s: ErasureSource): Promise<void> {
  const checkpoints = (await store.blobs.keys(MODEL_NAMESPACE)).filter((k) => k.startsWith('checkpoint.'));
  if (checkpoints.length > 0) await store.blobs.delete(MODEL_NAMESPACE, checkpoints);
  const models = await storedGraphs(store);
  if (models.length === 0) return;
  const scenarios = new Map((await store.scenarios.list()).map((sc) => [sc.id, sc]));
  const weightsOf = (sc: string) => scenarios.get(sc)?.eventWeights ?? {};
  for (const trained of models) {
    const ids = trained.header.itemIds;
    const index = new Map(ids.map((id, i) => [id, i]));
    const mine = trainingSequence(s.events, index, weightsOf);
    if (mine.length === 0) continue;
    const scenarioOfItem = new Map<string, string>();
    for (const e of s.events) scenarioOfItem.set(e.item, e.scenario);
    const items = await store.items.getMany(ids);
    for (const it of items) scenarioOfItem.set(it.id, it.scenario);
    const scenarioOf = (i: number) => scenarioOfItem.get(ids[i]!) ?? '';
    const erasure = await erasureOf(trained.graphs, mine, index, weightsOf, scenarioOf, s);
    applyGraphErasure(trained.graphs, erasure);
    await saveGraphs(store, trained.key, trained.header.stamp, trained.graphs);
  }
}
