/**
 * A running engine forgets an erased user at once, not at the next training: their share of the
 * item graphs (src/model/erase.ts), the item counts, popular and trending lists and context
 * statistics they added to, whether their events were in the data the graphs were built from or
 * arrived while serving. The erasure is in item ids, so other server processes apply the same one.
 */

import type { Scenario } from '../core/types.ts';
import { contextKeys, forgetContext } from '../model/context.ts';
import { applyGraphErasure, erasureFromIds, erasureToIds, type IdErasure } from '../model/erase.ts';
import { popularityFromCounts, type ScoringModel } from '../model/scoring.ts';
import { eventWeight } from '../profile/weights.ts';
import { type ErasureSource, erasureOf, isHeldOut, trainingSequence } from './erase-user.ts';
import type { RankedCounts } from './lists.ts';
import { contextObservationOf } from './snapshot.ts';

/** what one engine's memory loses with the user; JSON, in item ids */
export interface MemoryErasure {
  /** from the graphs (and their counts): the user's events among those the graphs were built from */
  graph: IdErasure;
  /** events that arrived after the graphs were built, each counted once in counts and lists */
  live: [item: string, n: number][];
  /** built-from events inside the trending window when the engine started */
  trending: [item: string, n: number][];
  /** context observations the user's events added */
  context: { item: string; keys: string[] }[];
}

export interface ForgetTargets {
  model: ScoringModel;
  index: ReadonlyMap<string, number>;
  scenarios: ReadonlyMap<string, Scenario>;
  popular: RankedCounts;
  trending: RankedCounts;
  /** events with a larger sequence number were not in the data the graphs were built from */
  graphSeq: number;
  /** the start of the trending window when the engine started */
  trendingSince: number;
}

function tally(ids: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return [...m.entries()];
}

export async function memoryErasure(s: ErasureSource, t: ForgetTargets): Promise<MemoryErasure> {
  const m = t.model;
  const weightsOf = (sc: string) => t.scenarios.get(sc)?.eventWeights ?? {};
  const built = (e: { seq: number }) => e.seq <= t.graphSeq;
  const known = s.events.filter((e) => t.index.has(e.item));
  const mine = trainingSequence(known, t.index, weightsOf, built);
  const graph = await erasureOf(
    m.graphs,
    mine,
    t.index,
    weightsOf,
    (i) => m.scenarios[m.scenarioCode[i]!] ?? '',
    s,
    built,
  );
  // live events are counted when their weight (with the scenario's weights) is positive
  const live = known.filter((e) => !built(e) && eventWeight(e, weightsOf(e.scenario)) > 0);
  const trained = known.filter((e) => built(e) && !isHeldOut(e));
  const context: MemoryErasure['context'] = [];
  if (m.useContext) {
    for (const e of trained) {
      const o = contextObservationOf(e, t.index.get(e.item)!);
      if (o) context.push({ item: e.item, keys: o.keys });
    }
    for (const e of live)
      if (e.context && (e.context.device || e.context.location))
        context.push({ item: e.item, keys: contextKeys(e.context, e.ts) });
  }
  return {
    graph: erasureToIds(graph, m.itemIds),
    live: tally(live.map((e) => e.item)),
    trending: tally(trained.filter((e) => e.ts >= t.trendingSince).map((e) => e.item)),
    context,
  };
}

export function applyMemoryErasure(
  t: Omit<ForgetTargets, 'scenarios' | 'graphSeq' | 'trendingSince'>,
  e: MemoryErasure,
): void {
  const m = t.model;
  const graph = erasureFromIds(e.graph, t.index);
  applyGraphErasure(m.graphs, graph);
  // the popular list started as the graphs' counts; both also took every live event
  for (const [item, n] of graph.counts) t.popular.bump(item, -n);
  for (const [id, n] of e.live) {
    const item = t.index.get(id);
    if (item === undefined) continue;
    m.graphs.counts[item] = Math.max(0, m.graphs.counts[item]! - n);
    t.popular.bump(item, -n);
    t.trending.bump(item, -n);
  }
  for (const [id, n] of e.trending) {
    const item = t.index.get(id);
    if (item !== undefined) t.trending.bump(item, -n);
  }
  for (const o of e.context) {
    const item = t.index.get(o.item);
    if (item !== undefined) forgetContext(m.context, o.keys, item);
  }
  m.popularity = popularityFromCounts(m.graphs.counts, m.scenarioCode, m.scenarios.length);
  if (m.graphs.crossCounts)
    m.popularityCross = popularityFromCounts(m.graphs.crossCounts, m.scenarioCode, m.scenarios.length);
}
