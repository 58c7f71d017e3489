/**
 * A small real slice of food-kitchen in a temporary SQLite store: a few hundred training users
 * (both scenarios, food-only, kitchen-only) and held-out users whose history is stored as
 * request-time input and whose last item is the target, as the importer does for the full set.
 * Item vectors come from a deterministic word-hash encoder (fast; the real encoder is exercised
 * by the encoding tests) written through the real encodeItems path.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Item } from '../src/core/types.ts';
import { encodeItems } from '../src/encode/catalog.ts';
import type { Encoder } from '../src/encode/types.ts';
import { initParams, type SeqShape } from '../src/seq/params.ts';
import type { SeqModel } from '../src/seq/types.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const DATA = join(import.meta.dirname, '..', '..', 'shared', 'data', 'food-kitchen');

/** bag of hashed words, L2-normalised: similar titles get similar vectors */
export function wordHashEncoder(dim = 256): Encoder {
  const hash = (s: string) => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
    return h;
  };
  return {
    id: `test-wordhash@${dim}`,
    dim,
    async encode(texts) {
      return texts.map((t) => {
        const v = new Float32Array(dim);
        for (const w of t.toLowerCase().split(/[^a-z0-9]+/)) {
          if (w.length < 3) continue;
          const h = hash(w);
          v[h % dim]! += h & 1 ? 1 : -1;
        }
        let n = 0;
        for (const x of v) n += x * x;
        if (n === 0) v[0] = 1;
        else for (let i = 0; i < dim; i++) v[i]! /= Math.sqrt(n);
        return v;
      });
    },
    async close() {},
  };
}

interface Seq {
  user: string;
  items: number[];
}

function readSeqs(file: string, prefix: string, limit: number): Seq[] {
  return readFileSync(join(DATA, file), 'utf8')
    .trim()
    .split('\n')
    .slice(0, limit)
    .map((l) => {
      const [u, s] = l.split('\t') as [string, string];
      return { user: `${prefix}${u}`, items: s.split(',').map(Number) };
    });
}

export interface Slice {
  dir: string;
  store: SqliteStore;
  encoder: Encoder;
  items: Map<string, Item>;
  /** held-out users: history (request-time input) and target */
  heldOut: { user: string; history: string[]; target: string; scenario: string }[];
  close(): Promise<void>;
}

const T0 = 1_600_000_000_000;

export async function foodKitchenSlice(
  opts: { overlap?: number; single?: number; heldOut?: number; valid?: number } = {},
): Promise<Slice> {
  const dir = mkdtempSync(join(tmpdir(), 'engine-'));
  const store = new SqliteStore(join(dir, 'fk.db'));
  const rows = readFileSync(join(DATA, 'items.tsv'), 'utf8').trim().split('\n');
  const all = new Map<number, Item>();
  for (const l of rows) {
    const [id, domain, , title] = l.split('\t') as [string, string, string, string];
    if (!/^\d+$/.test(id)) continue;
    all.set(Number(id), { id, scenario: domain, title: title ?? '', available: true });
  }
  const train = [
    ...readSeqs('train_overlap.txt', 'o', opts.overlap ?? 400),
    ...readSeqs('train_A.txt', 'a', opts.single ?? 150),
    ...readSeqs('train_B.txt', 'b', opts.single ?? 150),
  ];
  const test = readSeqs('test.txt', 't', opts.heldOut ?? 80);
  const valid = readSeqs('valid.txt', 'v', opts.valid ?? 0);
  const used = new Set<number>();
  for (const s of [...train, ...test, ...valid]) for (const i of s.items) used.add(i);
  const items = new Map([...used].map((i) => [String(i), all.get(i)!]));
  await store.scenarios.upsert([
    { id: 'food', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
    { id: 'kitchen', kind: 'ecommerce', eventWeights: {}, allowRepeats: false },
  ]);
  await store.items.upsert([...items.values()]);
  const events: Event[] = [];
  const push = (user: string, item: number, pos: number, split: Event['split']): void => {
    events.push({
      id: `${user}:${pos}`,
      user,
      item: String(item),
      scenario: all.get(item)!.scenario,
      type: 'purchase',
      ts: T0 + pos * 60_000,
      split,
    });
  };
  for (const s of train) for (const [p, i] of s.items.entries()) push(s.user, i, p, 'train');
  for (const s of valid) {
    for (const [p, i] of s.items.slice(0, -1).entries()) push(s.user, i, p, 'valid_input');
    push(s.user, s.items[s.items.length - 1]!, s.items.length - 1, 'valid');
  }
  const heldOut: Slice['heldOut'] = [];
  for (const s of test) {
    const target = s.items[s.items.length - 1]!;
    for (const [p, i] of s.items.slice(0, -1).entries()) push(s.user, i, p, 'test_input');
    push(s.user, target, s.items.length - 1, 'test');
    heldOut.push({
      user: s.user,
      history: s.items.slice(0, -1).map(String),
      target: String(target),
      scenario: all.get(target)!.scenario,
    });
  }
  await store.events.add(events);
  const encoder = wordHashEncoder();
  await encodeItems(store, encoder, [...items.values()]);
  return {
    dir,
    store,
    encoder,
    items,
    heldOut,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** NDCG@10 of one ranked list against one target */
export function ndcgAt10(ranked: readonly string[], target: string): number {
  const r = ranked.slice(0, 10).indexOf(target);
  return r < 0 ? 0 : 1 / Math.log2(r + 2);
}

/**
 * A seeded, untrained pooling sequential model over `scenario.length` items (every item warm, ids
 * only): for tests that need scores depending on the history, not good ones.
 */
export function untrainedSeqModel(
  scenario: Uint16Array,
  dim: number,
  maxLen: number,
  seed: number,
): SeqModel {
  const shape: SeqShape = {
    numItems: scenario.length,
    numScenarios: Math.max(...scenario) + 1,
    textDim: 0,
    dim,
    maxLen,
    arch: 'pool',
    layers: 0,
    heads: 0,
  };
  return {
    shape,
    params: initParams(shape, seed),
    whitening: undefined,
    text: new Float32Array(0),
    warm: new Uint8Array(scenario.length).fill(1),
    scenario: Uint16Array.from(scenario),
    report: {
      epochs: 0,
      bestEpoch: 0,
      validNdcg10: 0,
      history: [],
      losses: [],
      examples: 0,
      seconds: 0,
      resumedFrom: 0,
      averagedEpochs: 1,
    },
  };
}
