/**
 * What a booting engine derives from the event log on top of the trained model, and the snapshot
 * that spares it the whole log. Over a model version trained on the events up to its `lastSeq`:
 *
 *   counts    the model's per-item counts plus every positive event after `lastSeq` (what a
 *             running engine adds as events arrive)
 *   context   the context statistics of every event
 *   recent    (item, time) of the events within the trending window of the latest event time
 *   lists     the rows of the context lists: every positive event's item, time, device, hour band
 *             and user (list-log.ts)
 *
 * Each is a fold over events in insertion order, so the state after the events up to `seq` S,
 * saved as a snapshot stamped S, plus the fold of the events after S (`store.events.scan`) equals
 * the fold of the whole log: a node boots from the snapshot and the tail. The snapshot is one blob
 * (namespace `boot`), so writers in several processes never interleave; it names the catalog and
 * the settings it was folded under, and is ignored when either differs, and the model version of
 * its counts, which are redone for another version from the events since that one's training.
 * The list rows name users (an erased user's must go from the lists): erasure drops the snapshot
 * (`dropSnapshot`), and the next boot folds the log without them; a fold under way meanwhile (a
 * running node's refresh) sees the drop and does not save.
 */

import { randomBytes } from 'node:crypto';
import { pack, unpack } from '../core/packed.ts';
import { contextKeys, recordContext } from '../model/context.ts';
import { hashOf } from '../model/file.ts';
import { type ContextStats, emptyContextStats } from '../model/scoring.ts';
import { eventWeight } from '../profile/weights.ts';
import { dropMatrices } from '../store/derived/matrix.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import { Columns, ListLog } from './list-log.ts';

export const BOOT_NAMESPACE = 'boot';
const SNAPSHOT_KEY = 'snapshot';
/** changed by every drop: a fold that began before an erasure does not save what it read */
const DROPPED_KEY = 'dropped';
/**
 * 1: counts, context statistics and trending window as typed arrays behind a JSON header;
 * 2: and the context lists' rows
 */
const SNAPSHOT_FORMAT = 2;
const DAY_MS = 86_400_000;
const HELD_OUT = new Set(['valid', 'test']);

export interface BootState {
  counts: Float32Array;
  context: ContextStats;
  /** items and times of the events that may still fall in the trending window */
  recentItems: number[];
  recentTs: number[];
  maxTs: number;
  /** the largest `seq` folded in */
  lastSeq: number;
  /** every positive event's context-list row, in insertion order */
  lists: ListLog;
}

export interface BootInputs {
  /** the model version the counts start from, and the last event `seq` it was trained on */
  version: string;
  modelLastSeq: number;
  modelCounts: Float32Array;
  itemIds: readonly string[];
  index: ReadonlyMap<string, number>;
  /** each scenario's event weights (which events count as positive) */
  weights: Readonly<Record<string, Record<string, number>>>;
  useContext: boolean;
  trendingDays: number;
}

export interface BootReport {
  /** `snapshot`: loaded one and folded the tail; `full`: folded the whole log */
  from: 'snapshot' | 'full';
  /** events folded on top of the snapshot (or of nothing) */
  folded: number;
  snapshotSeq: number | undefined;
  /** a new snapshot was written */
  saved: boolean;
}

/**
 * What a snapshot must match to be used: the catalog and the settings the fold reads. The context
 * statistics and the trending window do not depend on the model version; the counts do, and are
 * redone for another version (`countsFor`).
 */
function keyOf(x: BootInputs): string {
  return hashOf({
    format: SNAPSHOT_FORMAT,
    items: hashOf(x.itemIds),
    weights: Object.entries(x.weights).sort(([a], [b]) => (a < b ? -1 : 1)),
    context: x.useContext,
    trendingDays: x.trendingDays,
  });
}

const positive = (x: BootInputs, e: StoredEvent) =>
  !(e.split && HELD_OUT.has(e.split)) &&
  x.index.has(e.item) &&
  eventWeight(e, x.weights[e.scenario] ?? {}) > 0;

/**
 * The counts of another version's snapshot redone for this one: its own counts plus the positive
 * events after its training up to the snapshot's `seq` (the fold adds those after it). After a
 * training that is the events that arrived meanwhile: a new version boots from the snapshot its
 * predecessor left.
 */
async function countsFor(store: Store, x: BootInputs, untilSeq: number): Promise<Float32Array> {
  const counts = Float32Array.from(x.modelCounts);
  let after: number | undefined = x.modelLastSeq;
  while (after !== undefined && after < untilSeq) {
    const page = await store.events.scan({ afterSeq: after, limit: 20_000 });
    for (const e of page.events) if (e.seq <= untilSeq && positive(x, e)) counts[x.index.get(e.item)!]! += 1;
    after = page.next;
    await new Promise((r) => setImmediate(r));
  }
  return counts;
}

function emptyState(x: BootInputs): BootState {
  return {
    counts: Float32Array.from(x.modelCounts),
    context: emptyContextStats(),
    recentItems: [],
    recentTs: [],
    maxTs: 0,
    lastSeq: 0,
    lists: new ListLog(),
  };
}

/** folds events (in insertion order) into the state */
function foldEvents(s: BootState, x: BootInputs, events: readonly StoredEvent[]): void {
  for (const e of events) {
    if (e.seq > s.lastSeq) s.lastSeq = e.seq;
    if (e.split && HELD_OUT.has(e.split)) continue;
    const item = x.index.get(e.item);
    if (item === undefined) continue;
    if (e.ts > s.maxTs) s.maxTs = e.ts;
    s.recentItems.push(item);
    s.recentTs.push(e.ts);
    // the same observations loadInteractions gives the context statistics
    if (x.useContext && e.context && (e.context.device || e.context.location) && eventWeight(e) > 0)
      recordContext(s.context, contextKeys(e.context, e.ts), item);
    if (!positive(x, e)) continue;
    s.lists.add(item, e.user, e.ts, e.context);
    if (e.seq > x.modelLastSeq) s.counts[item]! += 1;
  }
}

/**
 * The list rows of a whole-log read (an engine without a model version to snapshot): its positive
 * events in insertion order, as the fold adds them.
 */
export function listLogOf(
  inter: { byUser: ReadonlyMap<string, readonly StoredEvent[]> },
  index: ReadonlyMap<string, number>,
  weightsOf: (scenario: string) => Record<string, number>,
): ListLog {
  const kept: StoredEvent[] = [];
  for (const list of inter.byUser.values()) {
    for (const e of list) if (index.has(e.item) && eventWeight(e, weightsOf(e.scenario)) > 0) kept.push(e);
  }
  kept.sort((a, b) => a.seq - b.seq);
  const log = new ListLog();
  for (const e of kept) log.add(index.get(e.item)!, e.user, e.ts, e.context);
  return log;
}

/** the start of the trending window */
export function trendingSince(s: BootState, trendingDays: number): number {
  return s.maxTs - trendingDays * DAY_MS;
}

/** per-item counts of the events in the trending window */
export function trendingCounts(s: BootState, numItems: number, trendingDays: number): Float32Array {
  const since = trendingSince(s, trendingDays);
  const out = new Float32Array(numItems);
  for (let k = 0; k < s.recentItems.length; k++) if (s.recentTs[k]! >= since) out[s.recentItems[k]!]! += 1;
  return out;
}

/** drops the (item, time) pairs that can never be in the window again (the latest time only grows) */
function pruneRecent(s: BootState, trendingDays: number): void {
  const since = trendingSince(s, trendingDays);
  const items: number[] = [];
  const ts: number[] = [];
  for (let k = 0; k < s.recentItems.length; k++) {
    if (s.recentTs[k]! < since) continue;
    items.push(s.recentItems[k]!);
    ts.push(s.recentTs[k]!);
  }
  s.recentItems = items;
  s.recentTs = ts;
}

async function foldAfter(
  store: Store,
  s: BootState,
  x: BootInputs,
  afterSeq: number,
  signal?: AbortSignal,
): Promise<number> {
  let folded = 0;
  let after: number | undefined = afterSeq;
  while (after !== undefined) {
    signal?.throwIfAborted();
    const page = await store.events.scan({ afterSeq: after, limit: 20_000 });
    foldEvents(s, x, page.events);
    folded += page.events.length;
    after = page.next;
    // a store that answers synchronously (SQLite) would otherwise hold the thread for the whole
    // fold: a server building the next version meanwhile keeps answering between pages
    await new Promise((r) => setImmediate(r));
  }
  // every page read: the state now covers the log up to its last event
  return folded;
}

export interface BootOptions {
  /** write a new snapshot when the tail past the stored one reaches this many events (0: never write) */
  saveAfter: number;
  signal?: AbortSignal;
  /** the stored snapshot, read ahead (`readSnapshot`) while the boot read other things */
  read?: Promise<SnapshotRead>;
}

/** the stored snapshot's bytes and the erasure mark read before them */
export interface SnapshotRead {
  dropped: string;
  raw: Uint8Array | undefined;
}

/**
 * Reads the stored snapshot. A booting engine starts this before it reads the catalog and the
 * model, so that a remote store's reading of the snapshot overlaps them. The erasure mark is read
 * first: an erasure after it makes the boot not save.
 */
export async function readSnapshot(store: Store): Promise<SnapshotRead> {
  const dropped = await droppedMark(store);
  return { dropped, raw: await store.blobs.get(BOOT_NAMESPACE, SNAPSHOT_KEY) };
}

/** the boot state from the stored snapshot and the tail after it, or from the whole log */
export async function bootState(
  store: Store,
  x: BootInputs,
  opts: BootOptions,
): Promise<{ state: BootState; report: BootReport }> {
  const key = keyOf(x);
  const { dropped, raw } = await (opts.read ?? readSnapshot(store));
  const snap = parseSnapshot(raw, key, x);
  if (snap && snap.version !== x.version) snap.state.counts = await countsFor(store, x, snap.state.lastSeq);
  const state = snap?.state ?? emptyState(x);
  const from = snap ? 'snapshot' : 'full';
  const snapshotSeq = snap?.state.lastSeq;
  const folded = await foldAfter(store, state, x, state.lastSeq, opts.signal);
  pruneRecent(state, x.trendingDays);
  let saved = false;
  const due = snap === undefined ? folded > 0 : snap.version !== x.version || folded >= opts.saveAfter;
  if (opts.saveAfter > 0 && due && (await droppedMark(store)) === dropped) {
    await saveSnapshot(store, key, x.version, state);
    saved = true;
  }
  return { state, report: { from, folded, snapshotSeq, saved } };
}

/** folds the tail into the stored snapshot and writes it back (a server does this now and then) */
export async function refreshSnapshot(store: Store, x: BootInputs, minTail: number): Promise<BootReport> {
  return (await bootState(store, x, { saveAfter: Math.max(1, minTail) })).report;
}

/** drops the snapshot and the saved vector matrices (an erasure: both may name the user) */
export async function dropSnapshot(store: Store): Promise<void> {
  await store.blobs.put(BOOT_NAMESPACE, [{ key: DROPPED_KEY, value: randomBytes(12) }]);
  await store.blobs.delete(BOOT_NAMESPACE, [SNAPSHOT_KEY]);
  await dropMatrices(store.blobs);
}

async function droppedMark(store: Store): Promise<string> {
  return Buffer.from((await store.blobs.get(BOOT_NAMESPACE, DROPPED_KEY)) ?? []).toString('hex');
}

interface SnapshotHeader {
  key: string;
  /** the model version whose counts it holds */
  version: string;
  lastSeq: number;
  maxTs: number;
  numItems: number;
  recent: number;
  contextAll: number;
  /** context keys in the order of their sections, with each one's total and number of items */
  contextKeys: { key: string; total: number; size: number }[];
  contextItems: number;
  /** the list rows, and their devices and users by code */
  listRows: number;
  devices: (string | null)[];
  users: (string | null)[];
}

async function saveSnapshot(store: Store, key: string, version: string, s: BootState): Promise<void> {
  const c = s.context;
  const ctxKeys = [...c.counts.entries()];
  const rows = s.lists.rows;
  const sections: ArrayBufferView[] = [
    s.counts,
    Int32Array.from(s.recentItems),
    Float64Array.from(s.recentTs),
    Int32Array.from(c.items.keys()),
    Float64Array.from(c.items.values()),
  ];
  for (const [, m] of ctxKeys) sections.push(Int32Array.from(m.keys()), Float64Array.from(m.values()));
  for (const col of [rows.item, rows.ts, rows.device, rows.band, rows.user])
    sections.push(col.subarray(0, rows.len));
  const header: SnapshotHeader = {
    key,
    version,
    lastSeq: s.lastSeq,
    maxTs: s.maxTs,
    numItems: s.counts.length,
    recent: s.recentItems.length,
    contextAll: c.all,
    contextKeys: ctxKeys.map(([k, m]) => ({ key: k, total: c.totals.get(k) ?? 0, size: m.size })),
    contextItems: c.items.size,
    listRows: rows.len,
    devices: s.lists.devices.names(),
    users: s.lists.users.names(),
  };
  await store.blobs.put(BOOT_NAMESPACE, [{ key: SNAPSHOT_KEY, value: pack(header, sections) }]);
}

function parseSnapshot(
  raw: Uint8Array | undefined,
  key: string,
  x: BootInputs,
): { version: string; state: BootState } | undefined {
  const p = raw && unpack<SnapshotHeader>(raw);
  if (!p) return undefined;
  const h = p.header;
  if (h.key !== key || h.numItems !== x.itemIds.length) return undefined;
  const counts = p.f32(h.numItems).slice();
  const recentItems = Array.from(p.i32(h.recent));
  const recentTs = Array.from(p.f64(h.recent));
  const context = emptyContextStats();
  context.all = h.contextAll;
  const itemKeys = p.i32(h.contextItems);
  const itemValues = p.f64(h.contextItems);
  for (let k = 0; k < itemKeys.length; k++) context.items.set(itemKeys[k]!, itemValues[k]!);
  for (const ck of h.contextKeys) {
    const items = p.i32(ck.size);
    const values = p.f64(ck.size);
    const m = new Map<number, number>();
    for (let k = 0; k < items.length; k++) m.set(items[k]!, values[k]!);
    context.counts.set(ck.key, m);
    context.totals.set(ck.key, ck.total);
  }
  const rows = new Columns();
  rows.item = p.i32(h.listRows);
  rows.ts = p.f64(h.listRows);
  rows.device = p.i32(h.listRows);
  rows.band = p.i8(h.listRows);
  rows.user = p.i32(h.listRows);
  rows.len = h.listRows;
  const lists = new ListLog({ rows, devices: h.devices, users: h.users });
  return {
    version: h.version,
    state: { counts, context, recentItems, recentTs, maxTs: h.maxTs, lastSeq: h.lastSeq, lists },
  };
}
