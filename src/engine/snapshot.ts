/**
 * Reads what the scoring model is built from out of the store: the catalog (items by id order,
 * their vectors under the encoder) and every user's chronological interactions. Held-out targets
 * (`valid`, `test` splits) never feed the model; request-time histories (`*_input`) do.
 */
import type { Item, Split } from '../core/types.ts';
import { itemVectorNamespace, loadItemVectors } from '../encode/catalog.ts';
import { unifiedText } from '../encode/template.ts';
import { catalogTokens, type TitleWords } from '../model/attr-tokens.ts';
import type { CatalogInput, ContextObservation } from '../model/build.ts';
import { contextKeys } from '../model/context.ts';
import { LabelVocabulary } from '../profile/label.ts';
import { eventWeight } from '../profile/weights.ts';
import { ItemFacts } from '../rank/filter/facts.ts';
import { loadMatrix, saveMatrix } from '../store/derived/matrix.ts';
import type { Store, StoredEvent } from '../store/types.ts';

export interface Catalog extends CatalogInput {
  index: Map<string, number>;
  available: Uint8Array;
  /** the attributes filters and scenario rules read, by dense index */
  facts: ItemFacts;
  /** each item's metadata tokens, the attribute graph's input (model/attr-tokens.ts) */
  attrTokens: string[][];
  /** where the vectors came from: the saved matrix, or the rows (and then saved as a matrix) */
  vectorsFrom: 'none' | 'matrix' | 'rows' | 'rows, matrix saved';
}

/**
 * The encoder's item vectors: its saved matrix while the rows are unchanged since (one blob set,
 * store/derived/matrix.ts), else the rows of `ids`, or with `save` every row, saved as the matrix
 * the next boot reads.
 */
async function itemVectors(
  store: Store,
  encoderId: string,
  ids: readonly string[],
  save: boolean,
): Promise<{ ids: string[]; dim: number; vectors: Float32Array; from: Catalog['vectorsFrom'] }> {
  const ns = itemVectorNamespace(encoderId);
  const saved = await loadMatrix(store.blobs, ns);
  if (saved) return { ids: saved.ids, dim: saved.dim, vectors: saved.data, from: 'matrix' };
  if (!save) return { ...(await loadItemVectors(store, encoderId, { ids })), from: 'rows' };
  const m = await saveMatrix(store.blobs, ns);
  return { ids: m.ids, dim: m.dim, vectors: m.data, from: 'rows, matrix saved' };
}

export async function loadCatalog(
  store: Store,
  encoderId: string | undefined,
  /** titleWords: when the title's words are attribute tokens (`train.attrTitleWords`) */
  opts: { saveVectors?: boolean; titleWords?: TitleWords } = {},
): Promise<Catalog> {
  const items: Item[] = [];
  for await (const page of store.items.pages({ limit: 5000 })) items.push(...page);
  const itemIds = items.map((i) => i.id);
  const facts = new ItemFacts();
  items.forEach((it, i) => {
    facts.set(i, it);
  });
  let vectors: CatalogInput['vectors'];
  let vectorsFrom: Catalog['vectorsFrom'] = 'none';
  if (encoderId) {
    const got = await itemVectors(store, encoderId, itemIds, opts.saveVectors ?? false);
    vectorsFrom = got.from;
    if (got.ids.length === itemIds.length && got.dim > 0 && got.ids.every((id, i) => id === itemIds[i])) {
      // the rows are the catalog's, in its order (both by id): no copy
      vectors = { dim: got.dim, data: got.vectors };
    } else if (got.ids.length > 0 && got.dim > 0) {
      const row = new Map(got.ids.map((id, r) => [id, r]));
      const data = new Float32Array(itemIds.length * got.dim);
      itemIds.forEach((id, i) => {
        const r = row.get(id);
        if (r !== undefined) data.set(got.vectors.subarray(r * got.dim, (r + 1) * got.dim), i * got.dim);
      });
      vectors = { dim: got.dim, data };
    }
  }
  return {
    itemIds,
    titles: items.map((i) => i.title || unifiedText(i).slice(0, 200)),
    itemScenario: items.map((i) => i.scenario),
    labels: new LabelVocabulary(items),
    vectors,
    index: new Map(itemIds.map((id, i) => [id, i])),
    available: Uint8Array.from(items, (i) => (i.available === false ? 0 : 1)),
    facts,
    attrTokens: catalogTokens(items, opts.titleWords ?? 'never'),
    vectorsFrom,
  };
}

/** splits that are targets of an evaluation, never training data */
const HELD_OUT: readonly Split[] = ['valid', 'test'];

export interface Interactions {
  /** per user, chronological by (ts, seq) */
  byUser: Map<string, StoredEvent[]>;
  context: ContextObservation[];
  /** latest event time seen */
  maxTs: number;
  /** the largest `seq` read, of every event (kept or not): what a later read continues after */
  lastSeq: number;
}

export async function loadInteractions(
  store: Store,
  index: ReadonlyMap<string, number>,
  opts: { keepHeldOut?: boolean; signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<Interactions> {
  const byUser = new Map<string, StoredEvent[]>();
  const context: ContextObservation[] = [];
  let maxTs = 0;
  let lastSeq = 0;
  let done = 0;
  for await (const page of store.events.pages({ limit: 20_000, signal: opts.signal })) {
    for (const e of page) {
      if (e.seq > lastSeq) lastSeq = e.seq;
      if (!opts.keepHeldOut && e.split && HELD_OUT.includes(e.split)) continue;
      const item = index.get(e.item);
      if (item === undefined) continue;
      let list = byUser.get(e.user);
      if (!list) {
        list = [];
        byUser.set(e.user, list);
      }
      list.push(e);
      maxTs = Math.max(maxTs, e.ts);
      const obs = contextObservationOf(e, item);
      if (obs) context.push(obs);
    }
    done += page.length;
    opts.onProgress?.(done);
  }
  for (const list of byUser.values()) list.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  return { byUser, context, maxTs, lastSeq };
}

/** what a positive event with a device or location tells the context statistics, if anything */
export function contextObservationOf(e: StoredEvent, item: number): ContextObservation | undefined {
  if (!e.context || eventWeight(e) <= 0 || !(e.context.device || e.context.location)) return undefined;
  return { item, keys: contextKeys(e.context, e.ts) };
}

/** the observations without one per given event (held-out targets must not inform the fit) */
export function contextWithout(
  context: readonly ContextObservation[],
  events: Iterable<StoredEvent>,
  index: ReadonlyMap<string, number>,
): ContextObservation[] {
  const key = (o: ContextObservation) => `${o.item}|${o.keys.join('\u0001')}`;
  const drop = new Map<string, number>();
  for (const e of events) {
    const item = index.get(e.item);
    const o = item === undefined ? undefined : contextObservationOf(e, item);
    if (!o) continue;
    const k = key(o);
    drop.set(k, (drop.get(k) ?? 0) + 1);
  }
  if (drop.size === 0) return [...context];
  return context.filter((o) => {
    const k = key(o);
    const left = drop.get(k) ?? 0;
    if (left === 0) return true;
    drop.set(k, left - 1);
    return false;
  });
}

/** positive-weight item sequences, the input of the item graphs */
export function sequencesOf(
  inter: Interactions,
  index: ReadonlyMap<string, number>,
  weights: (scenario: string) => Record<string, number>,
  keep: (e: StoredEvent) => boolean = () => true,
  users?: string[],
): number[][] {
  const out: number[][] = [];
  for (const [user, list] of inter.byUser) {
    const seq: number[] = [];
    for (const e of list)
      if (keep(e) && eventWeight(e, weights(e.scenario)) > 0) seq.push(index.get(e.item)!);
    if (seq.length === 0) continue;
    out.push(seq);
    users?.push(user);
  }
  return out;
}

/** `sequencesOf` with each sequence's user key beside it (`users[k]` is the user of `sequences[k]`) */
export function userSequencesOf(
  inter: Interactions,
  index: ReadonlyMap<string, number>,
  weights: (scenario: string) => Record<string, number>,
): { sequences: number[][]; users: string[] } {
  const users: string[] = [];
  return { sequences: sequencesOf(inter, index, weights, undefined, users), users };
}
