/**
 * A larger evaluation for decisions (`fusionrec eval --protocol kfold --folds K`): the official
 * test users of a dataset like food-kitchen are too few to resolve a 10 % difference between two
 * models, so the training users themselves become test users, K times over. The training users
 * whose history before their last item spans the target scenario and another one (on food-kitchen
 * the users active in both scenarios, as every official valid and test user is) are dealt into K
 * seeded folds. In fold f each of its users' last interaction is held out as the target (its
 * scenario is the target scenario, as LLMCDSR's split makes the last item the target) and leaves
 * the training data; every model is fitted on that fold's training data (the engine through the
 * shipped pipeline, on a store written from it) with the official validation split for tuning,
 * and ranks the fold's targets. The folds' cases together are the results: each training user
 * once, a paired comparison over all of them. The official test users stay the headline.
 */
import { RecError } from '../core/errors.ts';
import type { EvalCase, EvalSet } from './dataset.ts';
import { seededSample, slicesOf } from './dataset.ts';
import { rng } from './rank.ts';
import type { CaseInfo, GroupResult, ModelResult } from './schema.ts';
import type { EvalData } from './types.ts';

/**
 * `seen`: a fold's users lose only their targets from the training data, their histories stay in
 * it (leave-one-out, as Scientific's and Beauty's protocols); `unseen`: they leave the training
 * data whole and bring their histories at request time, as food-kitchen's official test users do
 */
export type FoldUsers = 'seen' | 'unseen';

/** One fold: its training data (its users' targets removed) and its test cases. */
export interface Fold {
  set: EvalSet;
  /** the fold's users, each giving one test case */
  users: string[];
}

/**
 * A user's held-out case in the k-fold protocol, or undefined when the user does not qualify:
 * the last interaction is the target; the history before it must hold the target's scenario and,
 * where the data have several scenarios, another one too, and must not already hold the target
 * item (no official test target repeats its history).
 */
function heldOutCase(user: EvalData['users'][number], scenarios: number): EvalCase | undefined {
  const target = user.train.at(-1);
  if (!target || user.train.length < 2) return undefined;
  const history = user.train.slice(0, -1);
  const seen = new Set(history.map((e) => e.scenario));
  if (!seen.has(target.scenario) || seen.size < Math.min(2, scenarios)) return undefined;
  if (history.some((e) => e.item === target.item)) return undefined;
  return {
    query: { user: user.user, history, scenario: target.scenario },
    targets: [target.item],
    slices: [],
  };
}

/**
 * The K folds of `set`'s qualifying training users, dealt by a seeded shuffle of the users
 * sorted by id (so the folds do not depend on the store's order). Every fold keeps the official
 * validation cases; its test cases are its users' held-out cases, evaluated at most `maxUsers`
 * per fold when given (a seeded sample); `foldUsers` says what of those users stays in training.
 */
export function kfoldSets(
  set: EvalSet,
  folds: number,
  seed: number,
  maxUsers?: number,
  foldUsers: FoldUsers = 'seen',
): Fold[] {
  if (!Number.isInteger(folds) || folds < 2)
    throw new RecError('INVALID_INPUT', `folds must be an integer of at least 2, got ${folds}`, {
      field: 'folds',
    });
  const { data } = set;
  const eligible = data.users
    .map((u) => ({ u, c: heldOutCase(u, data.scenarios.length) }))
    .filter((x): x is { u: EvalData['users'][number]; c: EvalCase } => x.c !== undefined)
    .sort((a, b) => (a.u.user < b.u.user ? -1 : a.u.user > b.u.user ? 1 : 0));
  if (eligible.length < folds)
    throw new RecError(
      'INVALID_INPUT',
      `${data.dataset}: only ${eligible.length} training users qualify for ${folds} folds (history before their last item must span the target scenario and another)`,
      { field: 'folds' },
    );
  const random = rng(seed + 211);
  for (let i = eligible.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [eligible[i], eligible[j]] = [eligible[j]!, eligible[i]!];
  }
  return Array.from({ length: folds }, (_, f) => {
    const mine = eligible.filter((_, i) => i % folds === f);
    const held = new Set(mine.map((x) => x.u.user));
    const users =
      foldUsers === 'unseen'
        ? data.users.filter((u) => !held.has(u.user))
        : data.users.map((u) => (held.has(u.user) ? { user: u.user, train: u.train.slice(0, -1) } : u));
    const trainCount = new Uint32Array(data.itemIds.length);
    for (const u of users) for (const e of u.train) trainCount[e.item]!++;
    let test = mine.map((x) => ({ ...x.c, slices: slicesOf(x.c, trainCount) }));
    if (maxUsers !== undefined && test.length > maxUsers) test = seededSample(test, maxUsers, seed + 223 + f);
    return {
      users: test.map((c) => c.query.user),
      set: {
        ...set,
        data: { ...data, users },
        test,
        notes: [
          ...set.notes,
          `fold ${f + 1} of ${folds}: ${test.length} test cases of ${mine.length} held-out training users (${foldUsers})`,
        ],
      },
    };
  });
}

/**
 * One model's results over every fold as one: groups averaged over the folds weighted by their
 * case counts (coverage is not an average of the folds' coverages: dropped), per-case values and
 * timings concatenated or summed, each fold's parameters recorded as `fold<n>`.
 */
export function mergeFoldResults(perFold: readonly ModelResult[]): ModelResult {
  const [first] = perFold;
  if (!first) throw new RecError('INVALID_INPUT', 'no folds to merge', { field: 'folds' });
  if (perFold.some((m) => m.status !== 'ok')) return perFold.find((m) => m.status !== 'ok')!;
  const groups = new Map<string, { g: GroupResult; sums: Record<string, number> }>();
  for (const m of perFold)
    for (const g of m.groups) {
      const key = `${g.scenario}\u0000${g.slice}\u0000${g.ranking}`;
      let acc = groups.get(key);
      if (!acc) {
        acc = { g: { ...g, cases: 0, metrics: {} }, sums: {} };
        groups.set(key, acc);
      }
      acc.g.cases += g.cases;
      for (const [k, v] of Object.entries(g.metrics)) {
        if (k.startsWith('coverage@')) continue;
        acc.sums[k] = (acc.sums[k] ?? 0) + v * g.cases;
      }
    }
  const perCase: Record<string, number[]> = {};
  for (const m of perFold)
    for (const [k, v] of Object.entries(m.perCase ?? {})) perCase[k] = [...(perCase[k] ?? []), ...v];
  const fitMs = perFold.reduce((s, m) => s + m.timings.fitMs, 0);
  const evalMs = perFold.reduce((s, m) => s + m.timings.evalMs, 0);
  const cases = perCase['ndcg@10']?.length ?? 0;
  return {
    ...first,
    params: {
      folds: perFold.length,
      ...Object.fromEntries(perFold.map((m, f) => [`fold${f + 1}`, JSON.stringify(m.params)])),
    },
    timings: { fitMs, evalMs, queriesPerSecond: Math.round((cases / Math.max(1, evalMs)) * 1000) },
    groups: [...groups.values()].map(({ g, sums }) => ({
      ...g,
      metrics: Object.fromEntries(Object.entries(sums).map(([k, s]) => [k, s / Math.max(1, g.cases)])),
    })),
    diversityCurve: [],
    perCase,
    ...(perFold.every((m) => m.ranked) ? { ranked: perFold.flatMap((m) => m.ranked!) } : {}),
  };
}

/** the folds' case lists end to end, in fold order (what merged `perCase` values refer to) */
export function mergeFoldCases(perFold: readonly CaseInfo[][]): CaseInfo[] {
  return perFold.flat();
}
