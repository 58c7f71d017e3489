/**
 * Trained model persistence in the store's blob area (namespace `model`): the item graphs as raw
 * typed arrays and a JSON header with the ranker weights and a stamp (versions.ts keeps one set per
 * model version). The stamp is a hash of the
 * data (event and item counts per split, the catalog's ids) and of the train config, so a model
 * trained on other data or settings is detected as stale.
 */
import { createHash } from 'node:crypto';
import type { TrainConfig } from '../config/engine.ts';
import type { Store } from '../store/types.ts';
import type { AlsModel } from './als.ts';
import type { Csr } from './csr.ts';
import type { ItemGraphs } from './graph.ts';
import type { RankerWeights } from './scoring.ts';
import type { CrossUsers } from './users.ts';

export const MODEL_NAMESPACE = 'model';
/**
 * 4: the graphs carry the latent item factors (`als`, `alsFused`), 20 ranker features; 5: `seq`
 * reads the target scenario's entries and `seqFused` the whole history, 21 features; 6: the
 * attribute graph (`attr`), 23 features (a 24th, `usersCross`, and the graphs' optional `users` are
 * read where present: a model without them scores as before; so is a 25th, `attrCross`, read
 * through links across scenarios appended to the attribute graph's rows)
 */
export const MODEL_FORMAT = 6;

export interface ModelHeader {
  format: number;
  stamp: string;
  dataHash: string;
  configHash: string;
  /** item ids in the order the graphs index them */
  itemIds: string[];
  ranker: RankerWeights;
  trainedAt: string;
  validNdcg10: number;
  seconds: number;
}

export interface TrainedModel {
  header: ModelHeader;
  graphs: ItemGraphs;
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * Events erased with their users, per split (`none`: no split), kept in the store's meta so an
 * erasure does not change the data hash: the erasure is applied to the trained model itself
 * (src/model/erase.ts), which stays valid for everyone else.
 */
const ERASED_META = 'privacy:erased-events';

async function erasedEvents(store: Store): Promise<Record<string, number>> {
  const raw = await store.getMeta(ERASED_META);
  return raw ? (JSON.parse(raw) as Record<string, number>) : {};
}

/** adds erased events (per split) to the tally `dataHash` counts them back from */
export async function recordErasedEvents(
  store: Store,
  bySplit: Readonly<Record<string, number>>,
): Promise<void> {
  const tally = await erasedEvents(store);
  for (const [split, n] of Object.entries(bySplit)) tally[split] = (tally[split] ?? 0) + n;
  await store.setMeta(ERASED_META, JSON.stringify(tally));
}

/**
 * What the model depends on in the data: cheap to compute, changes when events or items are added
 * or deleted, but not when a user is erased (their events count as they did when trained).
 */
export async function dataHash(store: Store, itemIds: readonly string[]): Promise<string> {
  const stats = await store.stats();
  let events = stats.events;
  // the store lists splits in its own order; the tally adds to them in place (a split erased whole
  // comes last), so the hash of a store without erasures is what it always was
  const bySplit = { ...stats.eventsBySplit };
  for (const [split, n] of Object.entries(await erasedEvents(store))) {
    events += n;
    bySplit[split] = (bySplit[split] ?? 0) + n;
  }
  return hashOf({ events, bySplit, items: hashOf(itemIds) });
}

export function stampOf(dataH: string, cfg: TrainConfig): { stamp: string; configHash: string } {
  // the thread count changes how the work is split, and the retention how many versions are kept,
  // not what the model is: not part of the stamp
  const {
    threads: _threads,
    keepVersions: _keep,
    fitBags,
    attrTitleWords,
    crossUsers,
    popularityCross,
    ...rest
  } = cfg;
  // one bag is the fit as it was before bagging existed, a catalogue read without title words as
  // it was before they could be read, and no users kept nor arrivals counted as before they could
  // be: the models trained then stay current
  const shaping = {
    ...rest,
    ...(fitBags === 1 ? {} : { fitBags }),
    ...(attrTitleWords === 'never' ? {} : { attrTitleWords }),
    ...(crossUsers === 0 ? {} : { crossUsers }),
    ...(popularityCross ? { popularityCross } : {}),
  };
  const configHash = hashOf(shaping);
  return { stamp: `${MODEL_FORMAT}-${dataH}-${configHash}`, configHash };
}

/**
 * The engine model's stamp that its sequential model is stamped from (seq/persist.ts `seqStampOf`):
 * `stamp` (from `stampOf` with `cfg`) with the settings that shape the ranker's features alone
 * (`popularityCross`) at their default, so models apart only in those share one sequential model
 * instead of each training the same one again.
 */
export function seqBaseStamp(stamp: string, cfg: TrainConfig): string {
  if (!cfg.popularityCross) return stamp;
  const dataH = stamp.slice(stamp.indexOf('-') + 1, stamp.lastIndexOf('-'));
  return stampOf(dataH, { ...cfg, popularityCross: false }).stamp;
}

const bytes = (a: Int32Array | Uint32Array | Float32Array | Float64Array) =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
const i32 = (b: Uint8Array) => new Int32Array(b.slice().buffer);
const f32 = (b: Uint8Array) => new Float32Array(b.slice().buffer);
const u32 = (b: Uint8Array) => new Uint32Array(b.slice().buffer);
const f64 = (b: Uint8Array) => new Float64Array(b.slice().buffer);

function alsEntries(prefix: string, m: AlsModel) {
  return [
    { key: `${prefix}.items`, value: bytes(m.items) },
    { key: `${prefix}.gram`, value: bytes(m.gram) },
    {
      key: `${prefix}.meta`,
      value: new TextEncoder().encode(JSON.stringify({ dim: m.dim, alpha: m.alpha })),
    },
  ];
}

async function loadAls(store: Store, prefix: string): Promise<AlsModel | undefined> {
  const names = ['items', 'gram', 'meta'].map((n) => `${prefix}.${n}`);
  const got = await store.blobs.getMany(MODEL_NAMESPACE, names);
  if (got.size !== names.length) return undefined;
  const meta = JSON.parse(new TextDecoder().decode(got.get(`${prefix}.meta`)!)) as {
    dim: number;
    alpha: number;
  };
  return {
    dim: meta.dim,
    alpha: meta.alpha,
    items: f32(got.get(`${prefix}.items`)!),
    gram: f64(got.get(`${prefix}.gram`)!),
  };
}

function csrEntries(prefix: string, g: Csr) {
  return [
    { key: `${prefix}.offsets`, value: bytes(g.offsets) },
    { key: `${prefix}.items`, value: bytes(g.items) },
    { key: `${prefix}.weights`, value: bytes(g.weights) },
  ];
}

/** an optional graph saved by `csrEntries`, or undefined when it was not saved */
async function loadCsr(store: Store, prefix: string): Promise<Csr | undefined> {
  const parts = ['offsets', 'items', 'weights'];
  const got = await store.blobs.getMany(
    MODEL_NAMESPACE,
    parts.map((n) => `${prefix}.${n}`),
  );
  if (got.size !== parts.length) return undefined;
  const b = (n: string) => got.get(`${prefix}.${n}`)!;
  return { offsets: i32(b('offsets')), items: i32(b('items')), weights: f32(b('weights')) };
}

/** the cross-scenario users saved by `saveGraphs`, or undefined when none were */
async function loadUsers(store: Store, prefix: string): Promise<CrossUsers | undefined> {
  const rows = await loadCsr(store, prefix);
  const n = await store.blobs.get(MODEL_NAMESPACE, `${prefix}.neighbours`);
  if (!rows || !n) return undefined;
  const keys = await store.blobs.get(MODEL_NAMESPACE, `${prefix}.keys`);
  return {
    rows,
    neighbours: Number(new TextDecoder().decode(n)),
    ...(keys ? { keys: u32(keys) } : {}),
  };
}

export async function saveGraphs(
  store: Store,
  key: string,
  stamp: string,
  graphs: ItemGraphs,
): Promise<void> {
  await store.blobs.put(MODEL_NAMESPACE, [
    ...csrEntries(`${key}.knn`, graphs.knn),
    ...csrEntries(`${key}.trans`, graphs.trans),
    ...csrEntries(`${key}.ease`, graphs.ease),
    ...(graphs.easeFused ? csrEntries(`${key}.easeFused`, graphs.easeFused) : []),
    ...(graphs.attr ? csrEntries(`${key}.attr`, graphs.attr) : []),
    ...(graphs.users
      ? [
          ...csrEntries(`${key}.users`, graphs.users.rows),
          {
            key: `${key}.users.neighbours`,
            value: new TextEncoder().encode(String(graphs.users.neighbours)),
          },
          ...(graphs.users.keys ? [{ key: `${key}.users.keys`, value: bytes(graphs.users.keys) }] : []),
        ]
      : []),
    ...(graphs.als ? alsEntries(`${key}.als`, graphs.als) : []),
    ...(graphs.alsFused ? alsEntries(`${key}.alsFused`, graphs.alsFused) : []),
    { key: `${key}.counts`, value: bytes(graphs.counts) },
    ...(graphs.crossCounts ? [{ key: `${key}.crossCounts`, value: bytes(graphs.crossCounts) }] : []),
    { key: `${key}.stamp`, value: new TextEncoder().encode(stamp) },
  ]);
  // the optional parts an earlier model saved under this key must not load with this one
  const absent = [
    ...(graphs.easeFused ? [] : ['easeFused.offsets', 'easeFused.items', 'easeFused.weights']),
    ...(graphs.attr ? [] : ['attr.offsets', 'attr.items', 'attr.weights']),
    ...(graphs.users ? [] : ['users.offsets', 'users.items', 'users.weights', 'users.neighbours']),
    ...(graphs.users?.keys ? [] : ['users.keys']),
    ...(graphs.als ? [] : ['als.items', 'als.gram', 'als.meta']),
    ...(graphs.alsFused ? [] : ['alsFused.items', 'alsFused.gram', 'alsFused.meta']),
    ...(graphs.crossCounts ? [] : ['crossCounts']),
  ];
  if (absent.length > 0)
    await store.blobs.delete(
      MODEL_NAMESPACE,
      absent.map((n) => `${key}.${n}`),
    );
}

export async function loadGraphs(store: Store, key: string, stamp?: string): Promise<ItemGraphs | undefined> {
  const names = [
    'knn.offsets',
    'knn.items',
    'knn.weights',
    'trans.offsets',
    'trans.items',
    'trans.weights',
    'ease.offsets',
    'ease.items',
    'ease.weights',
    'counts',
    'stamp',
  ];
  const got = await store.blobs.getMany(
    MODEL_NAMESPACE,
    names.map((n) => `${key}.${n}`),
  );
  if (got.size !== names.length) return undefined;
  const b = (n: string) => got.get(`${key}.${n}`)!;
  if (stamp !== undefined && new TextDecoder().decode(b('stamp')) !== stamp) return undefined;
  // the cross-scenario EASE exists only for graphs fused over several scenarios
  const easeFused = await loadCsr(store, `${key}.easeFused`);
  const attr = await loadCsr(store, `${key}.attr`);
  const users = await loadUsers(store, `${key}.users`);
  const als = await loadAls(store, `${key}.als`);
  const alsFused = await loadAls(store, `${key}.alsFused`);
  const crossCounts = await store.blobs.get(MODEL_NAMESPACE, `${key}.crossCounts`);
  return {
    ...(crossCounts ? { crossCounts: f32(crossCounts) } : {}),
    ...(als ? { als } : {}),
    ...(alsFused ? { alsFused } : {}),
    ...(attr ? { attr } : {}),
    ...(users ? { users } : {}),
    ...(easeFused ? { easeFused } : {}),
    knn: { offsets: i32(b('knn.offsets')), items: i32(b('knn.items')), weights: f32(b('knn.weights')) },
    trans: {
      offsets: i32(b('trans.offsets')),
      items: i32(b('trans.items')),
      weights: f32(b('trans.weights')),
    },
    ease: { offsets: i32(b('ease.offsets')), items: i32(b('ease.items')), weights: f32(b('ease.weights')) },
    counts: f32(b('counts')),
  };
}
