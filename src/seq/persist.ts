/**
 * The sequential model in the store's `model` blob namespace, beside the item graphs: the trained
 * parameters and fixed inputs under `seq.*`, and an epoch-boundary checkpoint under
 * `seq-checkpoint.*` while `fusionrec train` runs (deleted when training completes). Both carry a
 * stamp (data hash + seq config + encoder) so a model or checkpoint from other data is ignored.
 */
import { createHash } from 'node:crypto';
import type { TrainConfig } from '../config/engine.ts';
import type { SeqConfig } from '../config/seq.ts';
import type { Store } from '../store/types.ts';
import { PARAM_NAMES, paramSizes, type SeqParams, type SeqShape } from './params.ts';
import type { SeqCheckpoint, SeqModel, SeqReport } from './types.ts';

const NS = 'model';
const MODEL = 'seq';
const CKPT = 'seq-checkpoint';

/** the stamp of a sequential model: the engine model's stamp (data + train config), seq config, encoder */
export function seqStampOf(
  modelStamp: string,
  cfg: SeqConfig,
  train: Pick<TrainConfig, 'seed' | 'ids'>,
  encoderId: string | undefined,
): string {
  // the transformer's settings do not change a pooling model, nor an unset gate or a lone model
  // any model: their stamps stay what they were before those settings
  const { gate, members, lrDecay, ...ungated } = cfg;
  const { arch, layers, heads, dropout, ...pool } = ungated;
  const stamped = {
    ...(arch === 'pool' ? pool : ungated),
    ...(gate ? { gate } : {}),
    // the stamp of a lone model stays what it was before the ensemble
    ...(members !== 1 ? { members } : {}),
    // and of a model trained at a constant rate what it was before the decay
    ...(lrDecay !== 1 ? { lrDecay } : {}),
  };
  const h = createHash('sha256')
    .update(
      JSON.stringify({
        modelStamp,
        cfg: stamped,
        seed: train.seed,
        encoder: encoderId ?? 'notext',
        // a model without ids (the ablation) is another model; the stamps of those with ids stay
        ...(train.ids ? {} : { ids: false }),
      }),
    )
    .digest('hex')
    .slice(0, 16);
  return `seq-${h}`;
}

const bytes = (a: Float32Array | Uint8Array | Uint16Array) =>
  new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
const f32 = (b: Uint8Array) => new Float32Array(b.slice().buffer);
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const unjson = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

function paramEntries(prefix: string, p: SeqParams) {
  return PARAM_NAMES.map((n) => ({ key: `${prefix}.${n}`, value: bytes(p[n]) }));
}

/**
 * The parameters under `prefix`; with a shape, a parameter its architecture does not use may be
 * absent (a model saved before that parameter existed) and every length must match the shape.
 */
function paramsFrom(got: Map<string, Uint8Array>, prefix: string, shape?: SeqShape): SeqParams | undefined {
  const sizes = shape ? paramSizes(shape) : undefined;
  const out: Partial<SeqParams> = {};
  for (const n of PARAM_NAMES) {
    const b = got.get(`${prefix}.${n}`);
    if (!b && sizes?.[n] !== 0) return undefined;
    out[n] = b ? f32(b) : new Float32Array(0);
    if (sizes && out[n].length !== sizes[n]) return undefined;
  }
  return out as SeqParams;
}

interface ModelHeader {
  stamp: string;
  shape: SeqShape;
  report: SeqReport;
  /** 1 / spread of the model's scores: the ranker feature's scale */
  featureScale: number;
  /** models of the ensemble (the first under the prefix, the k-th under `prefix.m<k>`); absent: one */
  members?: number;
}

export interface StoredSeq {
  /** the first model */
  model: SeqModel;
  /** every model of the ensemble, the first included */
  models: SeqModel[];
  featureScale: number;
}

const memberPrefix = (prefix: string, k: number) => (k === 0 ? prefix : `${prefix}.m${k}`);

function modelEntries(prefix: string, header: ModelHeader, model: SeqModel) {
  return [
    ...paramEntries(`${prefix}.param`, model.params),
    { key: `${prefix}.text`, value: bytes(model.text) },
    { key: `${prefix}.warm`, value: bytes(model.warm) },
    { key: `${prefix}.scenario`, value: bytes(model.scenario) },
    { key: `${prefix}.header`, value: json(header) },
  ];
}

/**
 * One model, or the models of an ensemble (the feature scale is the ensemble's).
 * `prefix`: where under the `model` namespace (a model version keeps its own copy)
 */
export async function saveSeqModel(
  store: Store,
  stamp: string,
  models: SeqModel | readonly SeqModel[],
  featureScale: number,
  prefix = MODEL,
) {
  const list: readonly SeqModel[] = Array.isArray(models) ? models : [models as SeqModel];
  const members = list.length > 1 ? { members: list.length } : {};
  await store.blobs.put(
    NS,
    list.flatMap((model, k) =>
      modelEntries(
        memberPrefix(prefix, k),
        { stamp, shape: model.shape, report: model.report, featureScale, ...(k === 0 ? members : {}) },
        model,
      ),
    ),
  );
}

async function loadOne(
  store: Store,
  stamp: string,
  prefix: string,
): Promise<{ model: SeqModel; header: ModelHeader } | undefined> {
  const raw = await store.blobs.get(NS, `${prefix}.header`);
  if (!raw) return undefined;
  const header = unjson<ModelHeader>(raw);
  if (header.stamp !== stamp) return undefined;
  // models saved before the architecture choice are attention pooling
  const saved: Partial<SeqShape> = header.shape;
  const shape: SeqShape = {
    ...header.shape,
    arch: saved.arch ?? 'pool',
    layers: saved.layers ?? 0,
    heads: saved.heads ?? 0,
    ...(saved.gate ? { gate: true } : {}),
  };
  const keys = [
    ...PARAM_NAMES.map((n) => `${prefix}.param.${n}`),
    `${prefix}.text`,
    `${prefix}.warm`,
    `${prefix}.scenario`,
  ];
  const got = await store.blobs.getMany(NS, keys);
  const params = paramsFrom(got, `${prefix}.param`, shape);
  const fixed = [`${prefix}.text`, `${prefix}.warm`, `${prefix}.scenario`];
  if (!params || fixed.some((k) => !got.has(k))) return undefined;
  const scen = got.get(`${prefix}.scenario`)!;
  return {
    header,
    model: {
      shape,
      params,
      whitening: undefined,
      text: f32(got.get(`${prefix}.text`)!),
      warm: got.get(`${prefix}.warm`)!.slice(),
      scenario: new Uint16Array(scen.slice().buffer),
      report: header.report,
    },
  };
}

/** the model (or ensemble) saved under `prefix` with this stamp; undefined if any part is missing */
export async function loadSeqModel(
  store: Store,
  stamp: string,
  prefix = MODEL,
): Promise<StoredSeq | undefined> {
  const first = await loadOne(store, stamp, prefix);
  if (!first) return undefined;
  const models = [first.model];
  for (let k = 1; k < (first.header.members ?? 1); k++) {
    const more = await loadOne(store, stamp, memberPrefix(prefix, k));
    if (!more) return undefined;
    models.push(more.model);
  }
  return { model: first.model, models, featureScale: first.header.featureScale };
}

type CheckpointState = Omit<SeqCheckpoint, 'params' | 'm' | 'v' | 'best' | 'tail'> & { stamp: string };

export async function saveSeqCheckpoint(store: Store, stamp: string, c: SeqCheckpoint): Promise<void> {
  const { params, m, v, best, tail, ...rest } = c;
  const state: CheckpointState = { ...rest, stamp };
  await store.blobs.put(NS, [
    ...paramEntries(`${CKPT}.params`, params),
    ...paramEntries(`${CKPT}.m`, m),
    ...paramEntries(`${CKPT}.v`, v),
    ...paramEntries(`${CKPT}.best`, best),
    ...(tail ? paramEntries(`${CKPT}.tail`, tail) : []),
    { key: `${CKPT}.state`, value: json(state) },
  ]);
}

export async function loadSeqCheckpoint(store: Store, stamp: string): Promise<SeqCheckpoint | undefined> {
  const raw = await store.blobs.get(NS, `${CKPT}.state`);
  if (!raw) return undefined;
  const { stamp: s, ...state } = unjson<CheckpointState>(raw);
  if (s !== stamp) return undefined;
  const keys = ['params', 'm', 'v', 'best', 'tail'].flatMap((p) =>
    PARAM_NAMES.map((n) => `${CKPT}.${p}.${n}`),
  );
  const got = await store.blobs.getMany(NS, keys);
  const params = paramsFrom(got, `${CKPT}.params`);
  const m = paramsFrom(got, `${CKPT}.m`);
  const v = paramsFrom(got, `${CKPT}.v`);
  const best = paramsFrom(got, `${CKPT}.best`);
  // the averaging sum, where the run averages (its stamp says so; a checkpoint without one has none)
  const tail = state.tailCount !== undefined ? paramsFrom(got, `${CKPT}.tail`) : undefined;
  if (!params || !m || !v || !best || (state.tailCount !== undefined && !tail)) return undefined;
  return { ...state, params, m, v, best, ...(tail ? { tail } : {}) };
}

export async function deleteSeqCheckpoint(store: Store): Promise<void> {
  const keys = (await store.blobs.keys(NS)).filter((k) => k.startsWith(`${CKPT}.`));
  await store.blobs.delete(NS, keys);
}
