/**
 * The one choice of the cases the ranker is fitted on, for `fusionrec train` and so for the
 * evaluation's engine (which runs the same pipeline): a seeded sample of the validation split, at
 * most `train.fitCases`, topped up with cases held out from the training events themselves. A
 * held-out case is a seeded sample user's LAST positive event (the events before it are the
 * history). A store of live events has no validation split at all, and a dataset's split is often
 * small (food-kitchen: ~160 food cases, where an NDCG@10 has a standard error of 10-20 % of its
 * value), so without these the ranker would keep its default weights or fit noise. The targets
 * leave the data the item graphs and the sequential model learn from while the ranker is fitted
 * (co-occurrence with the target itself would leak).
 */
import { seededSample } from '../core/rng.ts';
import type { StoredEvent } from '../store/types.ts';

export interface FitTargets {
  /** the validation targets the ranker is fitted on (a seeded sample of the split) */
  valid: StoredEvent[];
  /** the held-out targets topping them up, and the training lists without them */
  held: HeldOut;
}

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
  },
): FitTargets {
  const valid = seededSample(validEvents, opts.fitCases, opts.seed);
  const held = heldOutCases(
    byUser,
    opts.positive,
    Math.min(opts.heldOutCases, Math.max(0, opts.fitCases - valid.length)),
    opts.seed,
    new Set(valid.map((e) => e.user)),
    opts.allowsRepeats,
  );
  return { valid, held };
}

export interface HeldOut {
  /** user -> the held-out event (their last positive one) */
  targets: Map<string, StoredEvent>;
  /** the per-user event lists with every held-out target removed (other users' lists shared) */
  byUser: Map<string, StoredEvent[]>;
}

/**
 * Up to `max` users (seeded sample) whose last positive event names an item not in their earlier
 * events (unless its scenario allows repeats: a listen or a view again is what such a scenario
 * recommends) and who have at least one earlier positive event in some scenario; users in
 * `exclude` (those with a validation target, whose history must stay as it is) are never chosen.
 */
export function heldOutCases(
  byUser: ReadonlyMap<string, readonly StoredEvent[]>,
  positive: (e: StoredEvent) => boolean,
  max: number,
  seed: number,
  exclude: ReadonlySet<string> = new Set(),
  allowsRepeats: (scenario: string) => boolean = () => false,
): HeldOut {
  const copy = new Map<string, StoredEvent[]>(byUser as Map<string, StoredEvent[]>);
  if (max <= 0) return { targets: new Map(), byUser: copy };
  const eligible: string[] = [];
  const lastOf = new Map<string, number>();
  for (const [user, list] of byUser) {
    if (exclude.has(user)) continue;
    let last = -1;
    for (let i = list.length - 1; i >= 0; i--)
      if (positive(list[i]!)) {
        last = i;
        break;
      }
    if (last < 1) continue;
    const item = list[last]!.item;
    let earlierPositive = false;
    let repeat = false;
    for (let i = 0; i < last; i++) {
      if (list[i]!.item === item) repeat = true;
      if (positive(list[i]!)) earlierPositive = true;
    }
    if ((repeat && !allowsRepeats(list[last]!.scenario)) || !earlierPositive) continue;
    eligible.push(user);
    lastOf.set(user, last);
  }
  // sorted first: the sample must not depend on the order the store returned the users in
  eligible.sort();
  const targets = new Map<string, StoredEvent>();
  for (const user of seededSample(eligible, max, seed ^ 0x4e1d)) {
    const list = byUser.get(user)!;
    const at = lastOf.get(user)!;
    targets.set(user, list[at]!);
    copy.set(user, [...list.slice(0, at), ...list.slice(at + 1)]);
  }
  return { targets, byUser: copy };
}
