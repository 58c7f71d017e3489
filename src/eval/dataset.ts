/**
 * From the store to what the harness evaluates: the items of a dataset's scenarios under dense
 * indices, each training user's chronological interactions, and the protocol's valid and test
 * queries with their targets. Which events are train, valid or test comes from the importer's
 * `split` field (the dataset's own split); lastfm-2k has none, so a seeded split is drawn here.
 */
import { RecError } from '../core/errors.ts';
import type { Split } from '../core/types.ts';
import { HISTORY_BUCKETS } from '../model/scoring.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import { rng } from './rank.ts';
import type { EvalData, EvalInteraction, EvalQuery } from './types.ts';

export const DATASET_NAMES = ['food-kitchen', 'scientific', 'lastfm-2k', 'beauty'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface ProtocolSpec {
  name: 'leave-one-out' | 'held-out-users' | 'random-holdout' | 'k-fold';
  description: string;
  /** scenarios whose items form the catalogue; events on other items are not interactions */
  scenarios: string[];
  /** event types that count as interactions (all when absent) */
  interactionTypes?: string[];
  /** cut-offs of every @K metric */
  ks: number[];
  /** items already in the query's history can not be recommended */
  maskHistory: boolean;
  /** > 0: also rank the target against this many random negatives of its scenario (upstream protocol) */
  sampledNegatives: number;
  /** the items carry natural-language text worth encoding (beauty has attribute ids only) */
  itemText: boolean;
  /** lastfm-2k: shares of each user's distinct items held out for test and (of the rest) for valid */
  holdout?: { test: number; valid: number };
}

export const PROTOCOLS: Record<DatasetName, ProtocolSpec> = {
  scientific: {
    name: 'leave-one-out',
    description:
      'UniSRec/RecBole split as shipped: last item = test, second-to-last = valid; fit on train only; full ranking over all 4,385 items; items in the history masked (as RecBole does).',
    scenarios: ['scientific'],
    ks: [10, 50],
    maskHistory: true,
    sampledNegatives: 0,
    itemText: true,
  },
  beauty: {
    name: 'leave-one-out',
    description:
      'S3-Rec split: last item = test, second-to-last = valid; fit on train only; full ranking over all 12,101 items; items in the history masked (as S3-Rec does).',
    scenarios: ['beauty'],
    ks: [10, 50],
    maskHistory: true,
    sampledNegatives: 0,
    itemText: false,
  },
  'food-kitchen': {
    name: 'held-out-users',
    description:
      'LLMCDSR user split: fit on the training users; valid/test users bring their history at request time and their last item is the target, evaluated in its own scenario: full ranking over that scenario and the upstream 999 random negatives of that scenario (seeded, target excluded). History items are masked in full ranking, not among sampled negatives (as upstream).',
    scenarios: ['food', 'kitchen'],
    ks: [1, 5, 10, 50],
    maskHistory: true,
    sampledNegatives: 999,
    itemText: true,
  },
  'lastfm-2k': {
    name: 'random-holdout',
    description:
      'Per user (seeded): 20% of the listened artists (at least 1) held out as test, 10% of the rest (at least 1 when 5 or more remain) as valid, the rest train; listens (play events) only, ordered by the store (no listening time exists); full ranking over all artists; history masked; several targets per user.',
    scenarios: ['music'],
    interactionTypes: ['play'],
    ks: [10, 50],
    maskHistory: true,
    sampledNegatives: 0,
    holdout: { test: 0.2, valid: 0.1 },
    itemText: true,
  },
};

export interface EvalCase {
  query: EvalQuery;
  targets: number[];
  /** slice names this case belongs to besides `all` */
  slices: string[];
}

export interface EvalSet {
  data: EvalData;
  protocol: ProtocolSpec;
  valid: EvalCase[];
  test: EvalCase[];
  /** measured facts about the data that shaped protocol choices */
  notes: string[];
}

export interface LoadOptions {
  seed: number;
  /** evaluate on a seeded sample of at most this many test (and valid) cases (one per user and target scenario) */
  maxUsers?: number;
  /** store item id -> L2-normalised vector, when an encoder ran over the items' text */
  itemVectors?: { encoder: string; vectors: ReadonlyMap<string, Float32Array> };
  signal?: AbortSignal;
}

/** A query history of at most this many distinct items counts as a cold user. */
export const COLD_USER_MAX_HISTORY = 5;
/** `rare-targets`: every target has at most this many training interactions */
export const RARE_TARGET_MAX_COUNT = 9;
/** `popular-targets`: every target has at least this many training interactions */
export const POPULAR_TARGET_MIN_COUNT = 30;
/** the slice of a cross-scenario case whose history holds items of the target's scenario */
export const targetHistorySlice = (bucket: string) => `target-history-${bucket}`;

interface Row {
  e: EvalInteraction;
  seq: number;
  split: Split | undefined;
}

export async function loadEvalData(store: Store, dataset: DatasetName, opts: LoadOptions): Promise<EvalSet> {
  const protocol = PROTOCOLS[dataset];
  if (!protocol) {
    throw new RecError('INVALID_INPUT', `unknown dataset "${dataset}"; one of ${DATASET_NAMES.join(', ')}`, {
      field: 'dataset',
    });
  }
  const itemIds: string[] = [];
  const itemScenario: string[] = [];
  const itemText: string[] = [];
  for (const scenario of protocol.scenarios) {
    for await (const page of store.items.pages({ scenario, limit: 5000 })) {
      for (const it of page) {
        itemIds.push(it.id);
        itemScenario.push(it.scenario);
        itemText.push([it.title, ...(it.category ?? []), it.description ?? ''].filter(Boolean).join('. '));
      }
    }
  }
  if (itemIds.length === 0) {
    throw new RecError('NOT_FOUND', `the store holds no items of ${protocol.scenarios.join(', ')}`, {
      field: 'dataset',
    });
  }
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const types = protocol.interactionTypes ? new Set(protocol.interactionTypes) : undefined;
  const byUser = new Map<string, Row[]>();
  for await (const page of store.events.pages({ limit: 20_000, signal: opts.signal }))
    for (const ev of page) addRow(byUser, ev, index, types);
  for (const rows of byUser.values()) rows.sort((a, b) => a.e.ts - b.e.ts || a.seq - b.seq);

  const notes: string[] = [];
  if (protocol.holdout) applyHoldout(byUser, protocol.holdout, opts.seed, notes);

  const users: EvalData['users'] = [];
  const valid: EvalCase[] = [];
  const test: EvalCase[] = [];
  const trainCount = new Uint32Array(itemIds.length);
  for (const [user, rows] of byUser) {
    const train = rows.filter((r) => r.split === 'train' || r.split === undefined).map((r) => r.e);
    if (train.length > 0) users.push({ user, train });
    for (const e of train) trainCount[e.item]!++;
  }
  const pick = (splits: readonly (Split | undefined)[], rows: Row[]) =>
    rows.filter((r) => splits.includes(r.split)).map((r) => r.e);
  for (const [user, rows] of byUser) {
    const validTargets = pick(['valid'], rows);
    if (validTargets.length > 0) {
      valid.push(...casesOf(user, pick([undefined, 'train', 'valid_input'], rows), validTargets));
    }
    const testTargets = pick(['test'], rows);
    if (testTargets.length > 0) {
      test.push(
        ...casesOf(user, pick([undefined, 'train', 'valid_input', 'valid', 'test_input'], rows), testTargets),
      );
    }
  }
  if (test.length === 0) {
    throw new RecError('NOT_FOUND', `no test events for ${dataset}: was it imported with its split?`, {
      field: 'split',
    });
  }
  for (const c of [...valid, ...test]) c.slices = slicesOf(c, trainCount);

  repeatNote(test, notes);
  const data: EvalData = {
    dataset,
    itemIds,
    itemScenario,
    itemText,
    scenarios: protocol.scenarios,
    users,
  };
  if (opts.itemVectors) data.itemVectors = denseVectors(itemIds, opts.itemVectors, notes);
  const sample = (cases: EvalCase[], salt: number) =>
    opts.maxUsers !== undefined && cases.length > opts.maxUsers
      ? seededSample(cases, opts.maxUsers, opts.seed + salt)
      : cases;
  return { data, protocol, valid: sample(valid, 1), test: sample(test, 2), notes };
}

function addRow(
  byUser: Map<string, Row[]>,
  ev: StoredEvent,
  index: ReadonlyMap<string, number>,
  types: ReadonlySet<string> | undefined,
): void {
  const item = index.get(ev.item);
  if (item === undefined || (types && !types.has(ev.type))) return;
  let rows = byUser.get(ev.user);
  if (!rows) {
    rows = [];
    byUser.set(ev.user, rows);
  }
  const e: EvalInteraction = { item, scenario: ev.scenario, type: ev.type, ts: ev.ts };
  if (ev.value !== undefined) e.value = ev.value;
  rows.push({ e, seq: ev.seq, split: ev.split });
}

/**
 * One case per scenario of the user's targets, each evaluated in its own scenario, as the protocols
 * define it. Taking only the last target's scenario would drop every other scenario of a user with
 * targets in several: where each user's lines come in a fixed scenario order, a whole scenario.
 */
function casesOf(user: string, history: EvalInteraction[], targets: EvalInteraction[]): EvalCase[] {
  const scenarios = [...new Set(targets.map((t) => t.scenario))];
  return scenarios.map((scenario) => ({
    query: { user, history, scenario },
    targets: [...new Set(targets.filter((t) => t.scenario === scenario).map((t) => t.item))],
    slices: [],
  }));
}

/** the slices a case belongs to besides `all`; `trainCount` = training interactions per item */
export function slicesOf(c: EvalCase, trainCount: Uint32Array): string[] {
  const out: string[] = [];
  if (new Set(c.query.history.map((e) => e.item)).size <= COLD_USER_MAX_HISTORY) out.push('cold-users');
  if (c.targets.some((t) => trainCount[t] === 0)) out.push('cold-items');
  if (c.targets.length > 0 && c.targets.every((t) => trainCount[t]! <= RARE_TARGET_MAX_COUNT))
    out.push('rare-targets');
  if (c.targets.length > 0 && c.targets.every((t) => trainCount[t]! >= POPULAR_TARGET_MIN_COUNT))
    out.push('popular-targets');
  if (new Set(c.query.history.map((e) => e.scenario)).size >= 2) {
    out.push('cross-scenario');
    const own = new Set(c.query.history.filter((e) => e.scenario === c.query.scenario).map((e) => e.item))
      .size;
    // the ranker's history buckets (which count entries; a slice counts distinct items)
    if (own > 0) out.push(targetHistorySlice(HISTORY_BUCKETS.find((b) => own <= b.max)!.name));
  }
  return out;
}

/** lastfm-2k ships no split: hold out a seeded share of each user's distinct items. */
function applyHoldout(
  byUser: Map<string, Row[]>,
  holdout: { test: number; valid: number },
  seed: number,
  notes: string[],
): void {
  let already = 0;
  for (const rows of byUser.values()) if (rows.some((r) => r.split === 'test')) already++;
  if (already > 0) {
    notes.push(`the store already carries a test split for ${already} users; it was kept`);
    return;
  }
  const random = rng(seed + 101);
  for (const [, rows] of [...byUser].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const items = [...new Set(rows.map((r) => r.e.item))];
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    if (items.length < 2) continue;
    const nTest = Math.max(1, Math.round(items.length * holdout.test));
    const rest = items.length - nTest;
    const nValid = rest >= 5 ? Math.max(1, Math.round(rest * holdout.valid)) : 0;
    const split = new Map<number, Split>();
    items.forEach((it, k) => {
      split.set(it, k < nTest ? 'test' : k < nTest + nValid ? 'valid' : 'train');
    });
    for (const r of rows) r.split = split.get(r.e.item)!;
  }
  notes.push(
    `random hold-out drawn with seed ${seed}: ${holdout.test * 100}% test, ${holdout.valid * 100}% of the rest valid`,
  );
}

function repeatNote(test: EvalCase[], notes: string[]): void {
  let repeats = 0;
  let sameScenario = 0;
  for (const c of test) {
    const hist = new Set(c.query.history.map((e) => e.item));
    if (c.targets.some((t) => hist.has(t))) repeats++;
    if (c.targets.some((t) => c.query.history.some((e) => e.item === t && e.scenario === c.query.scenario))) {
      sameScenario++;
    }
  }
  notes.push(
    `test targets already in the query history: ${repeats} of ${test.length} cases (${((100 * repeats) / Math.max(1, test.length)).toFixed(2)}%)` +
      (sameScenario !== repeats ? `, ${sameScenario} within the target scenario` : ''),
  );
}

function denseVectors(
  itemIds: readonly string[],
  src: { encoder: string; vectors: ReadonlyMap<string, Float32Array> },
  notes: string[],
): EvalData['itemVectors'] {
  const first = src.vectors.values().next().value;
  if (!first) return undefined;
  const dim = first.length;
  const data = new Float32Array(itemIds.length * dim);
  let missing = 0;
  itemIds.forEach((id, i) => {
    const v = src.vectors.get(id);
    if (v && v.length === dim) data.set(v, i * dim);
    else missing++;
  });
  if (missing > 0) notes.push(`${missing} items have no ${src.encoder} vector (zero vector used)`);
  return { dim, data, encoder: src.encoder };
}

export function seededSample<T>(xs: readonly T[], n: number, seed: number): T[] {
  const idx = xs.map((_, i) => i);
  const random = rng(seed);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => xs[i]!);
}
