/**
 * The engine's scores for an explicit history instead of the user's stored events: what the
 * evaluation asks (a test case brings its history; the no-target-history slice removes part of
 * it) and what full-ranking mode (`engine.candidates: 0`) serves. The profile, `prepareQuery`,
 * the context-free scores and the context's share are the ones `engine.recommend` computes, so a
 * ranking of these scores (higher first, equal scores by catalog index, i.e. store id order) is
 * recommend's ranking at diversity 0.
 */
import type { Context, Event, Split } from '../core/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import { itemSpaceOf } from '../model/scoring.ts';
import { buildProfile, type ProfileOptions } from '../profile/interests.ts';
import type { HistoryEntry, ItemSpace, UserProfile } from '../profile/types.ts';
import { baseScores, type Query, requestContextKeys, withContext } from '../rank/query.ts';

/**
 * Splits a profile never reads: a `test` event is the future the evaluation asks about. A `valid`
 * event is past at test time (the protocols' test histories hold it), so profiles read it; the
 * training pipeline, which fits on the valid targets, builds its own histories without them.
 */
const NOT_IN_PROFILE: readonly Split[] = ['test'];

export const inProfile = (e: { split?: Split | undefined }): boolean =>
  !(e.split && NOT_IN_PROFILE.includes(e.split));

type HistoryEvent = Pick<Event, 'item' | 'scenario' | 'type' | 'value' | 'ts'>;

export interface ScoreAllRequest {
  /** the profile's user id (profiles are per user; any id will do for a what-if history) */
  user?: string | undefined;
  /** the events the profile is built from, oldest first; events on unknown items are ignored */
  history: readonly HistoryEvent[];
  scenario: string;
  /** score only these items (store ids; unknown ids and items of other scenarios get NaN); default: every item of the scenario */
  items?: readonly string[] | undefined;
  context?: Context | undefined;
  /** request time, for the context's hour and weekday; absent = none (recommend passes the clock) */
  now?: number | undefined;
}

export interface ScoredItems {
  /** the scored items' store ids: the scenario's items in catalog order, or the requested ones */
  items: readonly string[];
  scores: Float32Array;
}

/** what of the engine the scoring reads */
export interface ScoringParts {
  model: ScoringModel;
  index: ReadonlyMap<string, number>;
  entryOf: (e: HistoryEvent) => HistoryEntry | undefined;
  profileOptions: ProfileOptions;
  /** `train.fusion`: off = the profile sees the requested scenario's history alone */
  fusion: boolean;
  query: (profile: UserProfile, scenario: string, context?: Context) => Query;
  /** the profile is used once: what the engine memoised for it (text features of every item) goes */
  release: (profile: UserProfile) => void;
}

/** the profile of `profile`'s history in `scenario` alone (the model of each scenario alone) */
export function scenarioAlone(
  profile: UserProfile,
  scenario: string,
  space: ItemSpace,
  opts: ProfileOptions,
): UserProfile {
  const own = profile.history.filter((h) => h.scenario === scenario);
  return buildProfile(profile.user, own, space, opts);
}

const idsByScenario = new WeakMap<ScoringModel, Map<number, string[]>>();

function scenarioIds(m: ScoringModel, code: number): string[] {
  let byCode = idsByScenario.get(m);
  if (!byCode) {
    byCode = new Map();
    idsByScenario.set(m, byCode);
  }
  let ids = byCode.get(code);
  if (!ids) {
    ids = Array.from(m.scenarioItems[code] ?? [], (i) => m.itemIds[i]!);
    byCode.set(code, ids);
  }
  return ids;
}

export function scoreAll(p: ScoringParts, req: ScoreAllRequest): ScoredItems {
  const m = p.model;
  const code = m.scenarios.indexOf(req.scenario);
  const entries: HistoryEntry[] = [];
  for (const e of req.history) {
    if (!p.fusion && e.scenario !== req.scenario) continue;
    const h = p.entryOf(e);
    if (h) entries.push(h);
  }
  const profile = buildProfile(req.user ?? '', entries, itemSpaceOf(m), p.profileOptions);
  let candidates: Int32Array;
  let ids: readonly string[];
  if (req.items) {
    ids = req.items;
    candidates = Int32Array.from(req.items, (id) => {
      const i = p.index.get(id);
      return i !== undefined && m.scenarioCode[i] === code ? i : -1;
    });
  } else {
    candidates = code >= 0 ? m.scenarioItems[code]! : new Int32Array(0);
    ids = scenarioIds(m, code);
  }
  const known = candidates.filter((i) => i >= 0);
  const q = p.query(profile, req.scenario, req.context);
  const keys = requestContextKeys(m, req.context, req.now);
  const s = withContext(m, q.weights, keys, known, baseScores(q, known));
  p.release(profile);
  if (known.length === candidates.length) return { items: ids, scores: s };
  const scores = new Float32Array(candidates.length).fill(Number.NaN);
  for (let c = 0, k = 0; c < candidates.length; c++) if (candidates[c]! >= 0) scores[c] = s[k++]!;
  return { items: ids, scores };
}

/** full-ranking mode (`engine.candidates: 0`): every item of the scenario the request may get */
export function everyCandidate(
  m: ScoringModel,
  code: number,
  skip: (i: number) => boolean,
): { items: number[]; source: Map<number, string>; used: string[] } {
  const items = Array.from(m.scenarioItems[code] ?? []).filter((i) => !skip(i));
  return { items, source: new Map(items.map((i) => [i, 'catalog'])), used: ['catalog'] };
}
