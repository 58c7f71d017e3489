/**
 * The one choice of the cases the ranker is fitted on, for `fusionrec train` and so for the
 * evaluation's engine (which runs the same pipeline): a seeded sample of the validation split, at
 * most `train.fitCases`, topped up with cases held out from the training events themselves. A
 * held-out case is a seeded sample user's LAST positive event in one of the scenarios they are
 * active in, one case per such scenario (the events before it are the history). A store of live
 * events has no validation split at all, and a dataset's split is often small, so without these
 * the ranker would keep its default weights or fit noise (docs/recommender.md). The targets leave
 * the data the item graphs and the sequential model learn from while the ranker is fitted
 * (co-occurrence with the target itself would leak).
 */
import { seededRandom, seededSample } from '../core/rng.ts';
import type { StoredEvent } from '../store/types.ts';

export interface FitTargets {
  /** the validation targets the ranker is fitted on (a seeded sample of the split) */
  valid: StoredEvent[];
  /** the held-out targets topping them up, and the training lists without them */
  held: HeldOut;
  /**
   * the validation targets the sample left out (a split larger than `fitCases`): cases the ranker
   * is never fitted on, in the split's sorted order
   */
  spare: StoredEvent[];
}

const byIdentity = (a: StoredEvent, b: StoredEvent) =>
  cmp(a.user, b.user) || a.ts - b.ts || cmp(a.scenario, b.scenario) || cmp(a.item, b.item) || cmp(a.id, b.id);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The validation split sampled to `fitCases`, topped up to `fitCases` with at most `heldOutCases`
 * held-out cases (never from a user with a validation target, whose history must stay as it is):
 * a store with a large split fits on the split alone.
 */
export function fitTargets(
  validEvents: readonly StoredEvent[],
  byUser: ReadonlyMap<string, readonly StoredEvent[]>,
  opts: {
    fitCases: number;
    heldOutCases: number;
    seed: number;
    positive: (e: StoredEvent) => boolean;
    allowsRepeats: (scenario: string) => boolean;
    orderFree: boolean;
  },
): FitTargets {
  // sorted first: the sample must not depend on the order the store returned the events in
  const sorted = [...validEvents].sort(byIdentity);
  const valid = seededSample(sorted, opts.fitCases, opts.seed);
  const chosen = new Set(valid);
  const spare = sorted.filter((e) => !chosen.has(e));
  const held = heldOutCases(
    byUser,
    opts.positive,
    Math.min(opts.heldOutCases, Math.max(0, opts.fitCases - valid.length)),
    opts.seed,
    {
      exclude: new Set(valid.map((e) => e.user)),
      allowsRepeats: opts.allowsRepeats,
      orderFree: opts.orderFree,
    },
  );
  return { valid, held, spare };
}

export interface HeldOut {
  /**
   * The held-out events: per chosen user, their last positive event in each scenario they are
   * active in (a seeded random one when order-free), in the order the users were drawn
   */
  targets: StoredEvent[];
  /** the per-user event lists with every held-out target removed (other users' lists shared) */
  byUser: Map<string, StoredEvent[]>;
}

export interface HeldOutOptions {
  /** users never chosen (those with a validation target, whose history must stay as it is) */
  exclude?: ReadonlySet<string>;
  /** scenarios where a listen or a view again is what is recommended: a repeat may be a target */
  allowsRepeats?: (scenario: string) => boolean;
  /**
   * The histories carry no time order (`carriesNoOrder`): a user's "last" event is then only the
   * last of a file's or an import's order (lastfm's rows run by artist id, so the last is the
   * newest, rarest artist), so a seeded random positive event is held out instead.
   */
  orderFree?: boolean;
}

/**
 * Up to `max` held-out events from a seeded sample of users: each user's last positive event in
 * every scenario they are active in (a random one when `orderFree`), so that each scenario gets
 * its share of cases and not only the scenario users happen to end in. A target never repeats an
 * item of the user's other events (unless its scenario allows repeats), and at least one other
 * positive event stays as history: where every candidate would be held out, the earliest one
 * stays. The last user drawn gives only as many (the latest) as `max` leaves room for; users in
 * `exclude` are never chosen.
 */
export function heldOutCases(
  byUser: ReadonlyMap<string, readonly StoredEvent[]>,
  positive: (e: StoredEvent) => boolean,
  max: number,
  seed: number,
  opts: HeldOutOptions = {},
): HeldOut {
  const copy = new Map<string, StoredEvent[]>(byUser as Map<string, StoredEvent[]>);
  if (max <= 0) return { targets: [], byUser: copy };
  const exclude = opts.exclude ?? new Set<string>();
  const allowsRepeats = opts.allowsRepeats ?? (() => false);
  const eligible: string[] = [];
  // per user, per scenario (in order of first appearance): the positions a target may be drawn from
  const choices = new Map<string, number[][]>();
  for (const [user, list] of byUser) {
    if (exclude.has(user)) continue;
    const count = new Map<string, number>();
    let positives = 0;
    for (const e of list) {
      count.set(e.item, (count.get(e.item) ?? 0) + 1);
      if (positive(e)) positives++;
    }
    if (positives < 2) continue;
    // a target must not repeat another event of the user (unless its scenario allows repeats)
    const ok = (i: number) =>
      positive(list[i]!) && (count.get(list[i]!.item)! === 1 || allowsRepeats(list[i]!.scenario));
    const byScenario = new Map<string, number[]>();
    list.forEach((e, i) => {
      if (!positive(e)) return;
      const at = byScenario.get(e.scenario);
      if (at) at.push(i);
      else byScenario.set(e.scenario, [i]);
    });
    const at: number[][] = [];
    for (const positions of byScenario.values()) {
      if (opts.orderFree) {
        const free = positions.filter(ok);
        if (free.length > 0) at.push(free);
        continue;
      }
      // the scenario's last positive event repeating an earlier one is a target only where repeats are allowed
      const last = positions.at(-1)!;
      const earlier = list.slice(0, last).some((e) => e.item === list[last]!.item);
      if (!earlier || allowsRepeats(list[last]!.scenario)) at.push([last]);
    }
    if (at.length === 0) continue;
    eligible.push(user);
    choices.set(user, at);
  }
  // sorted first: the sample must not depend on the order the store returned the users in
  eligible.sort();
  const random = seededRandom(seed ^ 0x7a11);
  const targets: StoredEvent[] = [];
  // every eligible user in a seeded order (a sample of `max` of them when there are more: no user
  // gives fewer than one case)
  const order =
    eligible.length > max ? seededSample(eligible, max, seed ^ 0x4e1d) : shuffled(eligible, seed ^ 0x4e1d);
  for (const user of order) {
    if (targets.length >= max) break;
    const list = byUser.get(user)!;
    let picked = choices
      .get(user)!
      .map((at) => (at.length === 1 ? at[0]! : at[Math.floor(random() * at.length)]!))
      .sort((a, b) => a - b);
    const positives = list.filter(positive).length;
    // at least one positive event stays as history; the latest candidates are held out first
    if (picked.length >= positives) picked = picked.slice(picked.length - positives + 1);
    picked = picked.slice(Math.max(0, picked.length - (max - targets.length)));
    const out = new Set(picked);
    for (const i of picked) targets.push(list[i]!);
    copy.set(
      user,
      list.filter((_, i) => !out.has(i)),
    );
  }
  return { targets, byUser: copy };
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const random = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
