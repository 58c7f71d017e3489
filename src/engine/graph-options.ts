/** The item graphs' options from the train config and the data (shared by the engine, training and erasure). */
import type { TrainConfig } from '../config/engine.ts';
import { carriesNoOrder, DEFAULT_GRAPH_OPTIONS, type GraphOptions } from '../model/graph.ts';
import type { Interactions } from './snapshot.ts';

/** `orderFree`: what `carriesNoOrder` says of the data, used when `train.order` is `auto` */
export function graphOptionsOf(t: TrainConfig, orderFree = false): GraphOptions {
  return {
    ...DEFAULT_GRAPH_OPTIONS,
    window: t.window,
    maxNeighbors: t.neighbours,
    shrink: t.shrink,
    crossScenario: t.crossScenario,
    wholeHistory: t.order === 'set' || (t.order === 'auto' && orderFree),
    easeItems: t.easeItems,
    easeLambda: t.easeLambda,
    crossUsers: t.crossUsers,
    arrivals: t.popularityCross,
    als: {
      factors: t.alsFactors,
      reg: t.alsReg,
      alpha: t.alsAlpha,
      iters: t.alsIters,
      cgSteps: t.alsCgSteps,
    },
  };
}

/** whether the users' histories carry no time order (see `carriesNoOrder`) */
export function historiesCarryNoOrder(inter: Interactions): boolean {
  return carriesNoOrder([...inter.byUser.values()].map((list) => list.map((e) => e.ts)));
}
