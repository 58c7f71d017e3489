/**
 * A store holding an evaluation's data, for data whose split exists in memory only (lastfm-2k's
 * seeded hold-out, a test's hand-made slice): the training pipeline reads a store, so the engine
 * is trained on this one. Training interactions become `train` events, the validation targets
 * `valid` events (each after its user's history; a history of a user without training
 * interactions is written as `valid_input`, as food-kitchen's held-out users bring theirs); test
 * targets are not written; the scenarios, when given, as the source store has them.
 */
import type { Event } from '../../core/types.ts';
import { vectorBytes } from '../../encode/cache.ts';
import { itemVectorNamespace } from '../../encode/catalog.ts';
import { openStore } from '../../store/open.ts';
import type { Store } from '../../store/types.ts';
import type { EvalData, FitOptions } from '../types.ts';

/** the store last written for a model's fit, kept for the next model fitted on the same data */
let kept: { data: EvalData; store: Store; cases: string } | undefined;

/**
 * The store of `data` for one model's fit, shared by the models fitted on the same data one after
 * another (the engine variants of one evaluation or of one k-fold fold), as an evaluation on a
 * store file shares that file: what one trained and the next can reuse (the same sequential model,
 * stamped by data and settings) is trained once. A model must not close it: it is closed when a
 * model asks for another data's store, or by `releaseDataStores`.
 */
export async function sharedStoreOfData(
  data: EvalData,
  valid: FitOptions['valid'],
  scenarios: FitOptions['scenarios'] = [],
): Promise<Store> {
  const cases = valid
    .map((c) => `${c.query.user}\u0001${(c.targets ?? [c.target]).join(',')}`)
    .join('\u0002');
  if (kept && kept.data === data && kept.cases === cases) return kept.store;
  await releaseDataStores();
  const store = await storeOfData(data, valid, scenarios);
  kept = { data, store, cases };
  return store;
}

/** closes the store `sharedStoreOfData` keeps, if any */
export async function releaseDataStores(): Promise<void> {
  const k = kept;
  kept = undefined;
  await k?.store.close();
}

export async function storeOfData(
  data: EvalData,
  valid: FitOptions['valid'],
  scenarios: FitOptions['scenarios'] = [],
): Promise<Store> {
  const store = await openStore(':memory:');
  try {
    if (scenarios.length > 0) await store.scenarios.upsert([...scenarios]);
    await store.items.upsert(
      data.itemIds.map((id, i) => ({
        id,
        scenario: data.itemScenario[i]!,
        title: data.itemText[i]!.slice(0, 2000),
        available: true,
      })),
    );
    const trained = new Set(data.users.map((u) => u.user));
    const events: Event[] = data.users.flatMap((u) =>
      u.train.map((e, k) => ({
        id: `${u.user}#t${k}`,
        user: u.user,
        item: data.itemIds[e.item]!,
        scenario: e.scenario,
        type: e.type,
        ...(e.value !== undefined ? { value: e.value } : {}),
        ts: e.ts,
        split: 'train' as const,
      })),
    );
    valid.forEach((c, n) => {
      const user = c.query.user;
      if (!trained.has(user)) {
        trained.add(user);
        c.query.history.forEach((e, k) => {
          events.push({
            id: `${user}#i${k}`,
            user,
            item: data.itemIds[e.item]!,
            scenario: e.scenario,
            type: e.type,
            ...(e.value !== undefined ? { value: e.value } : {}),
            ts: e.ts,
            split: 'valid_input',
          });
        });
      }
      const last = c.query.history.reduce((m, e) => Math.max(m, e.ts), 0);
      for (const t of c.targets ?? [c.target])
        events.push({
          id: `${user}#v${n}-${t}`,
          user,
          item: data.itemIds[t]!,
          scenario: data.itemScenario[t]!,
          type: c.query.history.at(-1)?.type ?? 'purchase',
          ts: last,
          split: 'valid',
        });
    });
    for (let i = 0; i < events.length; i += 20_000) await store.events.add(events.slice(i, i + 20_000));
    const v = data.itemVectors;
    if (v) {
      await store.blobs.put(
        itemVectorNamespace(v.encoder),
        data.itemIds.map((id, i) => ({
          key: id,
          value: vectorBytes(v.data.subarray(i * v.dim, (i + 1) * v.dim)),
        })),
      );
    }
    return store;
  } catch (e) {
    await store.close();
    throw e;
  }
}
