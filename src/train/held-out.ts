/**
 * The one choice of the cases the ranker is fitted on, for `fusionrec train` and so for the
 * evaluation's engine (which runs the same pipeline): a seeded sample of the validation split, at
 * most `train.fitCases`, topped up with cases held out from the training events themselves. A
 * held-out case is a seeded sample user's LAST positive event (the events before it are the
 * history). A store of live events has no validation split at all, and a dataset's split is often
 * small, so without these the ranker would keep its default weights or fit noise
 * (docs/recommender.md). The targets leave the data the item graphs and the sequential model learn
 * from while the ranker is fitted (co-occurrence with the target itself would leak).
 */
import { seededRandom, seededSample } from '../core/rng.ts';
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
    orderFree: boolean;
  },
): FitTargets {
  const valid = seededSample(validEvents, opts.fitCases, opts.seed);
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
  return { valid, held };
}

export interface HeldOut {
  /** user -> the held-out event (their last positive one) */
  targets: Map<string, StoredEvent>;
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
 * Up to `max` users (seeded sample) whose last positive event (a random one when `orderFree`)
 * names an item not in their other events (unless its scenario allows repeats) and who have at
 * least one other positive event in some scenario; users in `exclude` are never chosen.
 */
export function heldOutCases(
  byUser: ReadonlyMap<string, readonly StoredEvent[]>,
  positive: (e: StoredEvent) => boolean,
  max: number,
  seed: number,
  opts: HeldOutOptions = {},
): HeldOut {
  const copy = new Map<string, StoredEvent[]>(byUser as Map<string, StoredEvent[]>);
  if (max <= 0) return { targets: new Map(), byUser: copy };
  const exclude = opts.exclude ?? new Set<string>();
  const allowsRepeats = opts.allowsRepeats ?? (() => false);
  const eligible: string[] = [];
  const choices = new Map<string, number[]>();
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
    let at: number[];
    if (opts.orderFree) at = list.map((_, i) => i).filter(ok);
    else {
      let last = list.length - 1;
      while (last >= 0 && !positive(list[last]!)) last--;
      // the last positive event repeating an earlier one is a target only where repeats are allowed
      const earlier = list.slice(0, last).some((e) => e.item === list[last]!.item);
      at = !earlier || allowsRepeats(list[last]!.scenario) ? [last] : [];
    }
    if (at.length === 0) continue;
    eligible.push(user);
    choices.set(user, at);
  }
  // sorted first: the sample must not depend on the order the store returned the users in
  eligible.sort();
  const random = seededRandom(seed ^ 0x7a11);
  const targets = new Map<string, StoredEvent>();
  for (const user of seededSample(eligible, max, seed ^ 0x4e1d)) {
    const list = byUser.get(user)!;
    const at = choices.get(user)!;
    const i = at.length === 1 ? at[0]! : at[Math.floor(random() * at.length)]!;
    targets.set(user, list[i]!);
    copy.set(user, [...list.slice(0, i), ...list.slice(i + 1)]);
  }
  return { targets, byUser: copy };
}
