/**
 * A fitting case as the pipeline sees it before any model exists: the target, the history before
 * it as profile entries, and what the ranking masks. The graph tuning judges its settings on these
 * histories; the ranker fit then turns each into a profile (`profileCases`).
 */
import type { Config } from '../config/schema.ts';
import { seededRandom } from '../core/rng.ts';
import { buildProfile } from '../profile/interests.ts';
import type { HistoryEntry, ItemSpace } from '../profile/types.ts';
import { eventWeight } from '../profile/weights.ts';
import type { StoredEvent } from '../store/types.ts';
import type { ValidCase } from './fit-ranker.ts';
import type { GraphCase } from './tune-graph.ts';

export interface FitCaseOptions {
  index: ReadonlyMap<string, number>;
  weightsOf: (scenario: string) => Record<string, number>;
  allowsRepeats: (scenario: string) => boolean;
  /** `train.fusion` off: the history is the target scenario's alone, as the engine then serves */
  alone: boolean;
  /** the histories carry no time order: every other event of the user is history, not only earlier ones */
  orderFree: boolean;
}

export interface FitCase extends GraphCase {
  user: string;
  history: HistoryEntry[];
}

/** the case of target `t` with the user's `events` before it (all of them when order-free); none when the item is unknown */
export function fitCaseOf(
  t: StoredEvent,
  events: readonly StoredEvent[],
  o: FitCaseOptions,
): FitCase | undefined {
  const item = o.index.get(t.item);
  if (item === undefined) return undefined;
  const history: HistoryEntry[] = [];
  for (const e of events) {
    if (e === t || (!o.orderFree && !(e.ts < t.ts || (e.ts === t.ts && e.seq < t.seq)))) continue;
    if (o.alone && e.scenario !== t.scenario) continue;
    const i = o.index.get(e.item);
    if (i !== undefined)
      history.push({
        item: i,
        scenario: e.scenario,
        weight: eventWeight(e, o.weightsOf(e.scenario)),
        ts: e.ts,
      });
  }
  return {
    user: t.user,
    history,
    scenario: t.scenario,
    target: item,
    masked: new Set(o.allowsRepeats(t.scenario) ? [] : history.map((h) => h.item)),
  };
}

/**
 * Up to `most` copies of the cases `eligible` takes (among those whose history also holds a
 * positive entry of another scenario), drawn by `random` and kept in the cases' order, each with
 * the history `cut` leaves; a copy masks only what is left of its history.
 */
function copiesOf(
  cases: readonly FitCase[],
  most: number,
  random: () => number,
  eligible: (c: FitCase) => boolean,
  cut: (c: FitCase) => HistoryEntry[],
): FitCase[] {
  const drawn = cases
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => eligible(c) && c.history.some((h) => h.scenario !== c.scenario && h.weight > 0));
  for (let i = drawn.length - 1; i > 0; i--) {
    const r = Math.floor(random() * (i + 1));
    [drawn[i], drawn[r]] = [drawn[r]!, drawn[i]!];
  }
  return drawn
    .slice(0, Math.max(0, most))
    .sort((a, b) => a.i - b.i)
    .map(({ c }) => {
      const history = cut(c);
      const kept = new Set(history.map((h) => h.item));
      return { ...c, history, masked: new Set([...c.masked].filter((i) => kept.has(i))) };
    });
}

/** entries of the target scenario in a case's history */
const ownEntries = (c: FitCase) => c.history.filter((h) => h.scenario === c.scenario).length;

/**
 * Up to `most` copies of `cases` with the target scenario's entries taken out of the history: the
 * user as they arrive in that scenario knowing only the others (cold start in a scenario). Drawn by
 * `seed` from the cases whose history holds both the target scenario and another one; the copy
 * masks only what is left of the history. The fit gives these users weights of their own
 * (historyBucketKey with no target-scenario entries), fitted and checked on the copies alone.
 */
export function coldStartCopies(cases: readonly FitCase[], most: number, seed: number): FitCase[] {
  return copiesOf(
    cases,
    most,
    seededRandom(seed ^ 0xc01d),
    (c) => ownEntries(c) > 0,
    (c) => c.history.filter((h) => h.scenario !== c.scenario),
  );
}

/**
 * Up to `most` copies of `cases` with the target scenario's entries cut to the last one or two (drawn
 * by `seed`): the user a few steps into a scenario, knowing the others well. Drawn from the cases
 * whose history holds more than two entries of the target scenario and a positive one of another
 * (the cut moves them into the thin-history bucket, historyBucketKey with one or two entries, which
 * real cases seldom fill); the copy masks only what is left of the history. The fit gives these
 * users weights of their own, fitted and checked on that bucket's cases and copies alone.
 */
export function thinHistoryCopies(cases: readonly FitCase[], most: number, seed: number): FitCase[] {
  const random = seededRandom(seed ^ 0x7417);
  return copiesOf(
    cases,
    most,
    random,
    (c) => ownEntries(c) > 2,
    (c) => {
      const keep = random() < 0.5 ? 1 : 2;
      // the history is in time order: the target scenario's last `keep` entries stay
      let own = ownEntries(c);
      return c.history.filter((h) => h.scenario !== c.scenario || own-- <= keep);
    },
  );
}

/**
 * The copied fitting cases the ranker fits its history buckets on: users arriving in a scenario
 * from another (coldStartCopies) and users a few steps into it (thinHistoryCopies). With fusion on
 * and several scenarios only: otherwise no history holds another scenario.
 */
export function fittingCopies(
  cases: readonly FitCase[],
  t: Pick<Config['train'], 'fusion' | 'coldStartCases' | 'thinHistoryCases' | 'seed'>,
  scenarios: number,
): FitCase[] {
  if (!t.fusion || scenarios < 2) return [];
  return [
    ...coldStartCopies(cases, t.coldStartCases, t.seed),
    ...thinHistoryCopies(cases, t.thinHistoryCases, t.seed),
  ];
}

/** the cases with the profiles the engine builds for their histories (config `engine` section) */
export function profileCases(cases: readonly FitCase[], space: ItemSpace, config: Config): ValidCase[] {
  const e = config.engine;
  const opts = {
    maxInterests: e.maxInterests,
    recencyDecay: e.profileDecay,
    negativePush: e.negativePush,
    maxHistory: e.maxHistory,
  };
  return cases.map((c) => ({
    profile: buildProfile(c.user, c.history, space, opts),
    scenario: c.scenario,
    target: c.target,
    masked: c.masked,
  }));
}

/** each sequence cut into one per scenario (the sequential model of each scenario alone) */
export function perScenario(sequences: readonly number[][], itemScenario: readonly string[]): number[][] {
  const out: number[][] = [];
  for (const s of sequences) {
    const by = new Map<string, number[]>();
    for (const i of s) {
      const sc = itemScenario[i]!;
      const list = by.get(sc);
      if (list) list.push(i);
      else by.set(sc, [i]);
    }
    out.push(...by.values());
  }
  return out;
}
