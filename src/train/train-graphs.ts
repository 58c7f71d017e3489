/**
 * The item graphs of `fusionrec train`: the fit's graphs (without the held-out targets) with their
 * settings chosen on the fitting cases when `train.tuneGraph` is on, then the graphs the saved
 * model serves with, built from every training event with the same settings. Each is checkpointed
 * in the store, so a rerun after an interrupt skips what is done.
 */
import type { TrainConfig } from '../config/engine.ts';
import { RecError } from '../core/errors.ts';
import { nextMessage, startTsWorker } from '../core/ts-worker.ts';
import { buildAttrGraph } from '../model/attr.ts';
import { emptyGraphs } from '../model/build.ts';
import type { Csr } from '../model/csr.ts';
import { hashOf, loadGraphs, MODEL_NAMESPACE, saveGraphs } from '../model/file.ts';
import { buildItemGraphs, type GraphOptions, type ItemGraphs, latentOf } from '../model/graph.ts';
import type { Store } from '../store/types.ts';
import { chooseGraphSettings, type GraphCase, type GraphChoice } from './tune-graph.ts';

/** the chosen settings, as the training report records them */
export type GraphSettings = Omit<GraphChoice, 'graphs'>;

export interface GraphStage {
  /** graphs without the held-out targets: what the ranker and the sequential model are fitted with */
  fit: ItemGraphs;
  /** graphs from every training event: what the saved model serves with */
  final: ItemGraphs;
  /** the tuned settings (absent when not tuned, or when resumed from a checkpoint made before) */
  settings?: GraphSettings | undefined;
  resumed: boolean;
}

export interface GraphStageInput {
  store: Store;
  cfg: TrainConfig;
  numItems: number;
  scenarioOf: (item: number) => string;
  base: GraphOptions;
  /** sequences without the held-out targets (built on first use) */
  fitSequences: () => number[][];
  /** sequences of every training event; absent = no target was held out (the same graphs) */
  allSequences: (() => number[][]) | undefined;
  cases: readonly GraphCase[];
  /** the stamp of what the fit graphs depend on (data, config, text, held-out set) */
  fitStamp: string;
  /** the same for the served graphs, without the held-out set */
  finalStamp: string;
  progress: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal | undefined;
}

const CHOICE_KEY = 'checkpoint.choice';

/** the graphs' options with the tuned settings in place */
function withSettings(base: GraphOptions, s: GraphSettings | undefined): GraphOptions {
  if (!s) return base;
  return {
    ...base,
    shrink: s.shrink,
    easeLambda: s.easeLambda,
    ...(s.easeFusedLambda !== undefined ? { easeFusedLambda: s.easeFusedLambda } : {}),
  };
}

/** popularity counts only (`train.ids` off): no collaborative evidence is learned */
function countsOnly(sequences: readonly number[][], numItems: number): ItemGraphs {
  const g = emptyGraphs(numItems);
  for (const s of sequences) for (const i of s) g.counts[i]! += 1;
  return g;
}

export async function itemGraphs(x: GraphStageInput): Promise<GraphStage> {
  if (!x.cfg.ids) {
    const fit = countsOnly(x.fitSequences(), x.numItems);
    return { fit, final: x.allSequences ? countsOnly(x.allSequences(), x.numItems) : fit, resumed: false };
  }
  const tuning = x.cfg.tuneGraph && x.cases.length > 0;
  let settings = tuning ? await loadChoice(x.store, x.fitStamp) : undefined;
  let fit = !tuning || settings ? await loadGraphs(x.store, 'checkpoint.fit', x.fitStamp) : undefined;
  const fitLoaded = fit !== undefined;
  if (!fit) {
    if (tuning) {
      x.progress('item graphs: choosing settings', 0, 1);
      const chosen = chooseGraphSettings(
        x.fitSequences(),
        x.numItems,
        x.scenarioOf,
        x.base,
        x.cases,
        { shrinks: x.cfg.tuneShrinks, easeLambdas: x.cfg.tuneEaseLambdas },
        x.signal,
      );
      const { graphs, ...chosenSettings } = chosen;
      settings = chosenSettings;
      fit = { ...graphs, ...latentOf(x.fitSequences(), x.numItems, x.scenarioOf, x.base, x.signal) };
      await x.store.blobs.put(MODEL_NAMESPACE, [
        { key: CHOICE_KEY, value: new TextEncoder().encode(JSON.stringify({ stamp: x.fitStamp, settings })) },
      ]);
    } else {
      x.progress('item graphs', 0, 1);
      fit = buildItemGraphs(x.fitSequences(), x.numItems, x.scenarioOf, x.base, x.signal);
    }
    await saveGraphs(x.store, 'checkpoint.fit', x.fitStamp, fit);
    x.progress('item graphs', 1, 1);
  }
  if (!x.allSequences) return { fit, final: fit, settings, resumed: fitLoaded };
  const opts = withSettings(x.base, settings);
  const finalStamp = `${x.finalStamp}-${hashOf(settings ?? null)}`;
  const stored = await loadGraphs(x.store, 'checkpoint', finalStamp);
  if (stored) return { fit, final: stored, settings, resumed: fitLoaded };
  x.progress('item graphs from every event', 0, 1);
  const final = buildItemGraphs(x.allSequences(), x.numItems, x.scenarioOf, opts, x.signal);
  await saveGraphs(x.store, 'checkpoint', finalStamp, final);
  x.progress('item graphs from every event', 1, 1);
  return { fit, final, settings, resumed: false };
}

async function loadChoice(store: Store, stamp: string): Promise<GraphSettings | undefined> {
  const raw = await store.blobs.get(MODEL_NAMESPACE, CHOICE_KEY);
  if (!raw) return undefined;
  const saved = JSON.parse(new TextDecoder().decode(raw)) as { stamp: string; settings: GraphSettings };
  return saved.stamp === stamp ? saved.settings : undefined;
}

/** what ./attr-worker.ts is started with */
export interface AttrWorkerInit {
  tokens: readonly (readonly string[])[];
  scenario: readonly string[];
  /** one graph per engagement order */
  engagements: Float32Array[];
  opts: { neighbours: number; postings: number };
}

type AttrReply = { type: 'graphs'; graphs: (Csr | undefined)[] } | { type: 'error'; message: string };

/** the occurrences of each item in `sequences`: the graphs' `counts` */
export function occurrences(sequences: readonly ArrayLike<number>[], numItems: number): Float32Array {
  const counts = new Float32Array(numItems);
  for (const s of sequences) for (let k = 0; k < s.length; k++) counts[s[k]!]! += 1;
  return counts;
}

/**
 * The attribute graphs of the fit's and the served graphs, from the catalogue's metadata (no
 * interaction), their ties broken by each graph set's counts (the fit's without the held-out
 * targets; `final` absent: the same graphs). Built on a thread of their own while the caller goes
 * on with the item graphs (on this thread when `threads` is 1); the promise resolves to them.
 */
export function attributeGraphsAside(
  tokens: readonly (readonly string[])[],
  itemScenario: readonly string[],
  counts: { fit: Float32Array; final?: Float32Array | undefined },
  cfg: TrainConfig,
  threads: number,
  signal: AbortSignal | undefined,
): Promise<{ fit?: Csr | undefined; final?: Csr | undefined }> {
  const opts = { neighbours: cfg.attrNeighbors, postings: cfg.attrPostings };
  const engagements = counts.final ? [counts.fit, counts.final] : [counts.fit];
  const sorted = (graphs: (Csr | undefined)[]) => ({
    fit: graphs[0],
    final: counts.final ? graphs[1] : graphs[0],
  });
  if (opts.neighbours <= 0 || !tokens.some((t) => t.length > 0)) return Promise.resolve({});
  if (threads <= 1)
    return Promise.resolve(
      sorted(engagements.map((e) => buildAttrGraph(tokens, itemScenario, e, opts, signal))),
    );
  const init: AttrWorkerInit = { tokens, scenario: itemScenario, engagements, opts };
  const worker = startTsWorker(new URL('./attr-worker.ts', import.meta.url), init);
  const onAbort = () => void worker.terminate();
  signal?.addEventListener('abort', onAbort, { once: true });
  return nextMessage<AttrReply>(worker, 'attribute graph worker')
    .then((r) => {
      if (r.type === 'error') throw new RecError('INTERNAL', `attribute graph worker: ${r.message}`);
      return sorted(r.graphs);
    })
    .catch((e) => {
      signal?.throwIfAborted();
      throw e;
    })
    .finally(() => {
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
    });
}

/**
 * The item graphs (`itemGraphs`) with the attribute graphs beside them: those need no interaction
 * beyond the counts that break their ties, so they are built on a thread of their own meanwhile.
 */
export async function graphStage(
  x: GraphStageInput,
  attr: { tokens: readonly (readonly string[])[]; itemScenario: readonly string[]; threads: number },
): Promise<GraphStage> {
  const stop = new AbortController();
  const aside = attributeGraphsAside(
    attr.tokens,
    attr.itemScenario,
    {
      fit: occurrences(x.fitSequences(), x.numItems),
      final: x.allSequences && occurrences(x.allSequences(), x.numItems),
    },
    x.cfg,
    attr.threads,
    x.signal ? AbortSignal.any([x.signal, stop.signal]) : stop.signal,
  );
  let graphs: GraphStage;
  try {
    graphs = await itemGraphs(x);
  } catch (e) {
    stop.abort();
    await aside.catch(() => undefined);
    throw e;
  }
  x.progress('attribute graph', 0, 1);
  const built = await aside;
  graphs.fit.attr = built.fit;
  if (graphs.final !== graphs.fit) graphs.final.attr = built.final;
  x.progress('attribute graph', 1, 1);
  return graphs;
}
