/**
 * Model versions: every `fusionrec train` writes a new version into the derived store's `model`
 * namespace and activates it; the previous ones stay (the newest `train.keepVersions`) so an
 * operator can roll back or forward with `fusionrec model activate`. A version is
 *
 *   version/<id>/record   what `model list` shows: created-at, data and config hash, offline metrics
 *   version/<id>/header   the ranker weights and the item order the graphs index
 *   version/<id>/graphs.* the item graphs (file.ts)
 *   version/<id>/seq.*    the sequential model, when one was trained
 *
 * and `version/active` names the one engines serve. That record is one small blob, so a server can
 * poll it cheaply to notice an activation made by another process. A store trained before
 * versions existed holds one unversioned model (`header`, `current.*`): it is served as the
 * version `legacy-<stamp>` until the next training.
 */
import { randomBytes } from 'node:crypto';
import { RecError } from '../core/errors.ts';
import type { Store } from '../store/types.ts';
import {
  loadGraphs,
  MODEL_FORMAT,
  MODEL_NAMESPACE,
  type ModelHeader,
  saveGraphs,
  type TrainedModel,
} from './file.ts';
import type { ItemGraphs } from './graph.ts';

interface ModelMetrics {
  /** NDCG@10 of the fitted ranker on the fitting cases */
  validNdcg10: number;
  /** the same with the default weights, for contrast */
  defaultNdcg10: number;
  validCases: number;
  heldOutCases: number;
}

export interface ModelVersion {
  version: string;
  createdAt: string;
  /** format, data hash and config hash together (what the model was trained on) */
  stamp: string;
  dataHash: string;
  configHash: string;
  /** the last event `seq` the training read: later events are the tail a booting engine replays */
  lastSeq: number;
  metrics: ModelMetrics;
  trainingSeconds: number;
  users: number;
  items: number;
  /** id of the encoder whose vectors the text features used (`notext`: none) */
  encoder: string;
  /** the stamp of the sequential model saved with this version, if one was */
  seqStamp?: string | undefined;
}

export interface ActiveVersion {
  version: string;
  activatedAt: string;
}

const ACTIVE_KEY = 'version/active';
const prefixOf = (id: string) => `version/${id}/`;
const RECORD = 'record';
const HEADER = 'header';
/** where the sequential model of a version lives (seq/persist.ts takes it as its prefix) */
export const seqPrefixOf = (id: string) => `${prefixOf(id)}seq`;
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const unjson = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

/** sortable by creation time, unique across trainers: `20261203-175725-3fa1` */
export function newVersionId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(2).toString('hex')}`;
}

/** writes a version (graphs, header, record); not yet active */
export async function saveVersion(store: Store, record: ModelVersion, model: TrainedModel): Promise<void> {
  const p = prefixOf(record.version);
  await saveGraphs(store, `${p}graphs`, model.header.stamp, model.graphs);
  // the record last: a version is listed only once everything it needs is written
  await store.blobs.put(MODEL_NAMESPACE, [
    { key: `${p}${HEADER}`, value: json(model.header) },
    { key: `${p}${RECORD}`, value: json(record) },
  ]);
}

async function versionRecord(store: Store, id: string): Promise<ModelVersion | undefined> {
  const raw = await store.blobs.get(MODEL_NAMESPACE, `${prefixOf(id)}${RECORD}`);
  return raw ? unjson<ModelVersion>(raw) : undefined;
}

/** every stored version, newest first */
export async function listVersions(store: Store): Promise<ModelVersion[]> {
  const keys = (await store.blobs.keys(MODEL_NAMESPACE)).filter(
    (k) => k.startsWith('version/') && k.endsWith(`/${RECORD}`),
  );
  const got = await store.blobs.getMany(MODEL_NAMESPACE, keys);
  return [...got.values()]
    .map((b) => unjson<ModelVersion>(b))
    .sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.version < b.version ? 1 : -1,
    );
}

/** the version engines serve: one small read, what a server polls */
export async function activeVersion(store: Store): Promise<ActiveVersion | undefined> {
  const raw = await store.blobs.get(MODEL_NAMESPACE, ACTIVE_KEY);
  return raw ? unjson<ActiveVersion>(raw) : undefined;
}

/**
 * Refuses an id that names no stored version: a RecError of `code` naming `field` and listing the
 * stored versions.
 */
export async function requireVersion(
  store: Store,
  id: string,
  field: string,
  code: 'NOT_FOUND' | 'INVALID_INPUT' = 'NOT_FOUND',
): Promise<void> {
  if (await versionRecord(store, id)) return;
  const known = (await listVersions(store)).map((v) => v.version);
  throw new RecError(
    code,
    `no model version "${id}"${known.length > 0 ? ` (stored: ${known.join(', ')})` : ' (none stored: run `fusionrec train`)'}`,
    { field, details: { version: id } },
  );
}

/** makes `id` the version engines serve; an unknown id is a NOT_FOUND naming it */
export async function activateVersion(store: Store, id: string): Promise<ActiveVersion> {
  await requireVersion(store, id, 'version');
  const active: ActiveVersion = { version: id, activatedAt: new Date().toISOString() };
  await store.blobs.put(MODEL_NAMESPACE, [{ key: ACTIVE_KEY, value: json(active) }]);
  return active;
}

/**
 * Deletes all but the newest `keep` versions; the active one and the `pinned` ones (those a running
 * experiment serves) are always kept.
 */
export async function pruneVersions(
  store: Store,
  keep: number,
  pinned: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const active = (await activeVersion(store))?.version;
  const drop = (await listVersions(store))
    .slice(keep)
    .filter((v) => v.version !== active && !pinned.has(v.version));
  if (drop.length === 0) return [];
  const prefixes = drop.map((v) => prefixOf(v.version));
  const keys = (await store.blobs.keys(MODEL_NAMESPACE)).filter((k) => prefixes.some((p) => k.startsWith(p)));
  // the records first, so a version is never listed with its graphs half gone
  await store.blobs.delete(
    MODEL_NAMESPACE,
    prefixes.map((p) => `${p}${RECORD}`),
  );
  await store.blobs.delete(MODEL_NAMESPACE, keys);
  return drop.map((v) => v.version);
}

export interface LoadedModel extends TrainedModel {
  /** the version id answers name (`legacy-<stamp>` for an unversioned model) */
  version: string;
  /** absent for an unversioned model */
  record?: ModelVersion | undefined;
}

/** the active version's model (or an unversioned one), or undefined when none is stored or readable */
export async function loadActiveModel(store: Store): Promise<LoadedModel | undefined> {
  const active = await activeVersion(store);
  if (active) return loadVersion(store, active.version);
  const raw = await store.blobs.get(MODEL_NAMESPACE, 'header');
  if (!raw) return undefined;
  const header = unjson<ModelHeader>(raw);
  if (header.format !== MODEL_FORMAT) return undefined;
  const graphs = await loadGraphs(store, 'current', header.stamp);
  return graphs ? { header, graphs, version: `legacy-${header.stamp}` } : undefined;
}

/** a stored version's model, or undefined when it is not stored (or in another format) */
export async function loadVersion(store: Store, id: string): Promise<LoadedModel | undefined> {
  const p = prefixOf(id);
  const got = await store.blobs.getMany(MODEL_NAMESPACE, [`${p}${HEADER}`, `${p}${RECORD}`]);
  const rawHeader = got.get(`${p}${HEADER}`);
  const rawRecord = got.get(`${p}${RECORD}`);
  if (!rawHeader || !rawRecord) return undefined;
  const header = unjson<ModelHeader>(rawHeader);
  if (header.format !== MODEL_FORMAT) return undefined;
  const graphs = await loadGraphs(store, `${p}graphs`, header.stamp);
  return graphs ? { header, graphs, version: id, record: unjson<ModelVersion>(rawRecord) } : undefined;
}

/** every stored model's graphs (each version's and an unversioned one's), with the key they are saved under */
export async function storedGraphs(
  store: Store,
): Promise<{ key: string; header: ModelHeader; graphs: ItemGraphs }[]> {
  const out: { key: string; header: ModelHeader; graphs: ItemGraphs }[] = [];
  for (const v of await listVersions(store)) {
    const m = await loadVersion(store, v.version);
    if (m) out.push({ key: `${prefixOf(v.version)}graphs`, header: m.header, graphs: m.graphs });
  }
  const raw = await store.blobs.get(MODEL_NAMESPACE, 'header');
  if (raw) {
    const header = unjson<ModelHeader>(raw);
    const graphs =
      header.format === MODEL_FORMAT ? await loadGraphs(store, 'current', header.stamp) : undefined;
    if (graphs) out.push({ key: 'current', header, graphs });
  }
  return out;
}
