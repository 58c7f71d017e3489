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
import { appendRows, buildAttrCross } from '../model/attr-cross.ts';
import { emptyGraphs } from '../model/build.ts';
import { hashOf, loadGraphs, MODEL_NAMESPACE, saveGraphs } from '../model/file.ts';
import { buildItemGraphs, type GraphOptions, type ItemGraphs, latentOf } from '../model/graph.ts';
import { withUserKeys } from '../model/users.ts';
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
  /** the user key of each sequence of `fitSequences`, and of `allSequences` (absent: unknown) */
  fitUsers?: (() => readonly string[]) | undefined;
  allUsers?: (() => readonly string[]) | undefined;
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

/** the graphs with their kept users' keys (see model/users.ts `withUserKeys`), where both exist */
function keyed(
  g: ItemGraphs,
  x: GraphStageInput,
  sequences: readonly number[][],
  users: (() => readonly string[]) | undefined,
): ItemGraphs {
  if (!g.users || !users) return g;
  return { ...g, users: withUserKeys(g.users, sequences, x.scenarioOf, users()) };
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
    fit = keyed(fit, x, x.fitSequences(), x.fitUsers);
    await saveGraphs(x.store, 'checkpoint.fit', x.fitStamp, fit);
    x.progress('item graphs', 1, 1);
  }
  if (!x.allSequences) return { fit, final: fit, settings, resumed: fitLoaded };
  const opts = withSettings(x.base, settings);
  const finalStamp = `${x.finalStamp}-${hashOf(settings ?? null)}`;
  const stored = await loadGraphs(x.store, 'checkpoint', finalStamp);
  if (stored) return { fit, final: stored, settings, resumed: fitLoaded };
  x.progress('item graphs from every event', 0, 1);
  const all = x.allSequences();
  const final = keyed(buildItemGraphs(all, x.numItems, x.scenarioOf, opts, x.signal), x, all, x.allUsers);
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

/** what the side thread (./side-worker.ts) builds from */
export interface SideInit {
  numItems: number;
  scenario: readonly string[];
  /** the sequences of each graph set: the fit's, then, where targets are held out, every event's */
  sequences: readonly (readonly number[])[][];
  /** the attribute graph's input; absent = none */
  attr?:
    | {
        tokens: readonly (readonly string[])[];
        /** `cross`: links per item to the other scenarios' items (model/attr-cross.ts; 0 = none) */
        opts: { neighbours: number; postings: number; cross: number };
      }
    | undefined;
  /** the factorisations' options (`latentOf`); absent = none */
  latent?: Pick<GraphOptions, 'als' | 'crossScenario'> | undefined;
}

/** what the side thread adds to each graph set */
export type SideGraphs = Pick<ItemGraphs, 'attr' | 'als' | 'alsFused'>;

/** one piece of the side graphs: graph set `set`'s factorisations or its attribute graph */
export interface SideTask {
  set: number;
  kind: 'latent' | 'attr';
}

/** the side graphs' pieces in the order threads take them: the longest (factorisations) first */
export function sideTasks(x: SideInit): SideTask[] {
  const sets = x.sequences.map((_, set) => set);
  return [
    ...(x.latent ? sets.map((set) => ({ set, kind: 'latent' as const })) : []),
    ...(x.attr ? sets.map((set) => ({ set, kind: 'attr' as const })) : []),
  ];
}

/** one piece: the attribute graph (its ties broken by the set's counts) or the factorisations (`latentOf`) */
export function sideTask(x: SideInit, t: SideTask, signal?: AbortSignal): SideGraphs {
  const seqs = x.sequences[t.set]!;
  if (t.kind === 'latent') return latentOf(seqs, x.numItems, (i) => x.scenario[i]!, x.latent!, signal);
  const { tokens, opts } = x.attr!;
  const engagement = occurrences(seqs, x.numItems);
  const within = buildAttrGraph(tokens, x.scenario, engagement, opts, signal);
  const across =
    opts.cross > 0
      ? buildAttrCross(
          tokens,
          x.scenario,
          engagement,
          { neighbours: opts.cross, postings: opts.postings },
          signal,
        )
      : undefined;
  const attr = appendRows(within, across, x.numItems);
  return attr ? { attr } : {};
}

/** the pieces, each the result of a `sideTask`, merged per graph set */
function mergeTasks(x: SideInit, tasks: readonly SideTask[], parts: readonly SideGraphs[]): SideGraphs[] {
  const out: SideGraphs[] = x.sequences.map(() => ({}));
  for (const [k, t] of tasks.entries()) Object.assign(out[t.set]!, parts[k]);
  return out;
}

type SideReply = { type: 'parts'; parts: [number, SideGraphs][] } | { type: 'error'; message: string };

/** the occurrences of each item in `sequences`: the graphs' `counts` */
export function occurrences(sequences: readonly ArrayLike<number>[], numItems: number): Float32Array {
  const counts = new Float32Array(numItems);
  for (const s of sequences) for (let k = 0; k < s.length; k++) counts[s[k]!]! += 1;
  return counts;
}

/**
 * Per graph set, what needs no tuned setting: the attribute graph (from the catalogue's metadata,
 * its ties broken by the set's counts) and the factorisations (`latentOf`).
 */
export function sideGraphs(x: SideInit, signal?: AbortSignal): SideGraphs[] {
  const tasks = sideTasks(x);
  return mergeTasks(
    x,
    tasks,
    tasks.map((t) => sideTask(x, t, signal)),
  );
}

/**
 * The pieces the side thread (./side-worker.ts) takes in order while this thread builds the item
 * graphs; `rest` then takes the pieces still untaken on this thread, waits for the side thread's
 * and merges them (each piece is the same whichever thread builds it). One thread: every piece on
 * this one, in `rest`.
 */
export function sideGraphsAside(
  x: SideInit,
  threads: number,
  signal: AbortSignal,
): { done: Promise<unknown>; rest: () => Promise<SideGraphs[]> } {
  const tasks = sideTasks(x);
  if (tasks.length === 0 || threads <= 1)
    return { done: Promise.resolve(), rest: async () => sideGraphs(x, signal) };
  // the next untaken piece, shared by both threads
  const next = new Int32Array(new SharedArrayBuffer(4));
  const worker = startTsWorker(new URL('./side-worker.ts', import.meta.url), { ...x, next });
  const onAbort = () => void worker.terminate();
  signal.addEventListener('abort', onAbort, { once: true });
  const reply = nextMessage<SideReply>(worker, 'graph side thread')
    .then((r) => {
      if (r.type === 'error') throw new RecError('INTERNAL', `graph side thread: ${r.message}`);
      return r.parts;
    })
    .catch((e) => {
      signal.throwIfAborted();
      throw e;
    })
    .finally(() => {
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
    });
  // a failure before `rest` reads the reply is reported there, not as an unhandled rejection
  reply.catch(() => undefined);
  const rest = async () => {
    const parts: SideGraphs[] = [];
    try {
      for (let k = Atomics.add(next, 0, 1); k < tasks.length; k = Atomics.add(next, 0, 1)) {
        signal.throwIfAborted();
        parts[k] = sideTask(x, tasks[k]!, signal);
      }
    } catch (e) {
      void worker.terminate();
      await reply.catch(() => undefined);
      throw e;
    }
    for (const [k, g] of await reply) parts[k] = g;
    return mergeTasks(x, tasks, parts);
  };
  return { done: reply, rest };
}

/**
 * The item graphs (`itemGraphs`) with what needs no tuned setting built beside them on a thread of
 * their own: the attribute graphs (from the catalogue's metadata; the counts that break their ties
 * come from the same sequences) and the factorisations, which the item graphs are then built
 * without. The graphs are the ones a build of everything on one thread makes.
 */
export async function graphStage(
  x: GraphStageInput,
  side: { tokens: readonly (readonly string[])[]; itemScenario: readonly string[]; threads: number },
): Promise<GraphStage> {
  const stop = new AbortController();
  // every event's sequences are read once here, for both threads
  const fitSeqs = x.fitSequences();
  const allSeqs = x.allSequences?.();
  const init: SideInit = {
    numItems: x.numItems,
    scenario: side.itemScenario,
    sequences: allSeqs ? [fitSeqs, allSeqs] : [fitSeqs],
    attr:
      x.cfg.attrNeighbors > 0 && side.tokens.some((t) => t.length > 0)
        ? {
            tokens: side.tokens,
            opts: {
              neighbours: x.cfg.attrNeighbors,
              postings: x.cfg.attrPostings,
              // links across scenarios only where the graphs fuse them
              cross: x.base.crossScenario ? x.cfg.attrCrossNeighbors : 0,
            },
          }
        : undefined,
    latent:
      x.cfg.ids && x.base.als.factors > 0
        ? { als: x.base.als, crossScenario: x.base.crossScenario }
        : undefined,
  };
  const aside = sideGraphsAside(
    init,
    side.threads,
    x.signal ? AbortSignal.any([x.signal, stop.signal]) : stop.signal,
  );
  let graphs: GraphStage;
  try {
    graphs = await itemGraphs({
      ...x,
      allSequences: allSeqs && (() => allSeqs),
      base: { ...x.base, als: { ...x.base.als, factors: 0 } },
    });
  } catch (e) {
    stop.abort();
    await aside.done.catch(() => undefined);
    throw e;
  }
  x.progress('attribute graph and factorisation', 0, 1);
  const [fit, final] = await aside.rest();
  const shared = graphs.final === graphs.fit;
  graphs.fit = { ...graphs.fit, ...fit };
  graphs.final = shared ? graphs.fit : { ...graphs.final, ...(final ?? fit) };
  x.progress('attribute graph and factorisation', 1, 1);
  return graphs;
}
