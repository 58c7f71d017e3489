/**
 * Online experiments: their definitions (one schema), where they are kept (the data store's meta,
 * so every node reads the same ones), and how a request meets one. A/B splits users by a stable
 * hash of experiment and user id with the configured shares; team-draft interleaving (Radlinski,
 * Kurup and Joachims 2008) merges two variants' rankings into one list, each item labelled with
 * the variant ("team") that contributed it, so a click credits one variant within the same list.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RETRIEVER_NAMES } from '../config/engine.ts';
import { RecError } from '../core/errors.ts';
import { idSchema } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import type { DataStore } from '../store/data/types.ts';

/**
 * What a variant changes in how the engine answers; absent keys keep the engine's settings.
 * `modelVersion`: a stored model version (`fusionrec model list`) answers instead of the active
 * one. `ranking: random | reversed` serve the candidates shuffled or worst-first: deliberately
 * worse arms, to check that an experiment finds a known difference.
 */
const variantSchema = z.strictObject({
  name: idSchema,
  share: z.number().min(0).max(1).optional(),
  diversity: z.number().min(0).max(1).optional(),
  retrievers: z.array(z.enum(RETRIEVER_NAMES)).min(1).optional(),
  /** false: profiles see the requested scenario's history alone (the item graphs stay as trained) */
  fusion: z.boolean().optional(),
  ranking: z.enum(['model', 'random', 'reversed']).default('model'),
  modelVersion: idSchema.optional(),
});
export type Variant = z.infer<typeof variantSchema>;

export const experimentInputSchema = z.strictObject({
  id: idSchema,
  scenario: idSchema,
  /** ab: each user sees one variant; interleave: every list merges two variants */
  kind: z.enum(['ab', 'interleave']),
  variants: z.array(variantSchema).min(2).max(10),
  description: z.string().max(2000).optional(),
});

export interface Experiment extends z.infer<typeof experimentInputSchema> {
  status: 'running' | 'stopped';
  createdAt: number;
  stoppedAt?: number;
}

/** shares are probabilities: they must sum to 1 within rounding */
const SHARE_TOLERANCE = 1e-6;

/** Validates a definition: schema, unique names, A/B shares that sum to 1, two interleaved variants. */
export function parseExperiment(input: unknown): z.infer<typeof experimentInputSchema> {
  const e = validate(experimentInputSchema, input);
  const names = new Set<string>();
  e.variants.forEach((v, i) => {
    if (names.has(v.name))
      throw new RecError('INVALID_INPUT', `two variants are named "${v.name}"`, {
        field: `variants[${i}].name`,
      });
    names.add(v.name);
  });
  if (e.kind === 'interleave') {
    if (e.variants.length !== 2)
      throw new RecError('INVALID_INPUT', 'interleaving compares exactly two variants', {
        field: 'variants',
      });
    return e;
  }
  const missing = e.variants.findIndex((v) => v.share === undefined);
  if (missing >= 0)
    throw new RecError('INVALID_INPUT', 'an A/B variant needs a share', {
      field: `variants[${missing}].share`,
    });
  const sum = e.variants.reduce((s, v) => s + v.share!, 0);
  if (Math.abs(sum - 1) > SHARE_TOLERANCE)
    throw new RecError('INVALID_INPUT', `variant shares sum to ${sum}, not 1`, { field: 'variants' });
  return e;
}

/** a uniform number in [0, 1) fixed by the key: the same user always lands in the same place */
export function stableUnit(key: string): number {
  const h = createHash('sha256').update(key).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

/** The A/B variant of a user: the share interval their stable hash falls in. */
export function variantOf(e: Pick<Experiment, 'id' | 'variants'>, user: string): Variant {
  const u = stableUnit(`${e.id}\u0000${user}`);
  let acc = 0;
  for (const v of e.variants) {
    acc += v.share ?? 0;
    if (u < acc) return v;
  }
  return e.variants[e.variants.length - 1]!;
}

/**
 * Team-draft interleaving of two rankings into at most `n` items: in each round the team with
 * fewer picks (a coin flip on a tie) adds its highest-ranked item not yet taken. Returns the items
 * with the team that picked each.
 */
export function teamDraft<T>(
  a: readonly T[],
  b: readonly T[],
  n: number,
  rng: () => number,
): { item: T; team: 0 | 1 }[] {
  const out: { item: T; team: 0 | 1 }[] = [];
  const taken = new Set<T>();
  const picks = [0, 0];
  const next = [0, 0];
  const lists = [a, b] as const;
  const nextOf = (t: 0 | 1): T | undefined => {
    const list = lists[t];
    while (next[t]! < list.length && taken.has(list[next[t]!]!)) next[t]!++;
    return list[next[t]!];
  };
  while (out.length < n) {
    const ca = nextOf(0);
    const cb = nextOf(1);
    if (ca === undefined && cb === undefined) break;
    let team: 0 | 1 = picks[0]! < picks[1]! || (picks[0] === picks[1] && rng() < 0.5) ? 0 : 1;
    if ((team === 0 ? ca : cb) === undefined) team = team === 0 ? 1 : 0;
    const item = (team === 0 ? ca : cb)!;
    taken.add(item);
    picks[team]!++;
    out.push({ item, team });
  }
  return out;
}

const META_KEY = 'experiments';
/** how long a node trusts its copy of the definitions before reading them again */
const TTL_MS = 2000;

/** the model versions the running experiments of a store serve (kept when old versions are pruned) */
export async function runningVersions(store: Pick<DataStore, 'getMeta' | 'setMeta'>): Promise<Set<string>> {
  const running = (await new Experiments(store).list()).filter((e) => e.status === 'running');
  return new Set(running.flatMap((e) => e.variants.flatMap((v) => (v.modelVersion ? [v.modelVersion] : []))));
}

/** The experiments, kept as one JSON document in the data store's meta (they are few). */
export class Experiments {
  private cached: { at: number; list: Experiment[] } | undefined;

  constructor(
    private readonly store: Pick<DataStore, 'getMeta' | 'setMeta'>,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<Experiment[]> {
    const raw = await this.store.getMeta(META_KEY);
    const list = raw ? (JSON.parse(raw) as Experiment[]) : [];
    this.cached = { at: this.now(), list };
    return list;
  }

  async get(id: string): Promise<Experiment> {
    const e = (await this.list()).find((x) => x.id === id);
    if (!e) throw new RecError('NOT_FOUND', `no experiment "${id}"`, { field: 'id' });
    return e;
  }

  /**
   * The running experiment of a scenario, from a copy at most TTL_MS old. A store that cannot be
   * read keeps the last copy (none before the first read) for another TTL_MS: answers go on.
   */
  async runningIn(scenario: string): Promise<Experiment | undefined> {
    let list = this.cached?.list ?? [];
    if (!this.cached || this.now() - this.cached.at >= TTL_MS) {
      try {
        list = await this.list();
      } catch {
        this.cached = { at: this.now(), list };
      }
    }
    return list.find((e) => e.status === 'running' && e.scenario === scenario);
  }

  /** validated; one running experiment per scenario, ids never reused */
  async create(input: unknown, check?: (e: Experiment) => void | Promise<void>): Promise<Experiment> {
    const def = parseExperiment(input);
    const list = await this.list();
    if (list.some((e) => e.id === def.id))
      throw new RecError('CONFLICT', `experiment "${def.id}" exists`, { field: 'id' });
    const clash = list.find((e) => e.status === 'running' && e.scenario === def.scenario);
    if (clash)
      throw new RecError('CONFLICT', `experiment "${clash.id}" is running in scenario "${def.scenario}"`, {
        field: 'scenario',
      });
    const e: Experiment = { ...def, status: 'running', createdAt: this.now() };
    await check?.(e);
    await this.save([...list, e]);
    return e;
  }

  async stop(id: string): Promise<Experiment> {
    const list = await this.list();
    const i = list.findIndex((x) => x.id === id);
    if (i < 0) throw new RecError('NOT_FOUND', `no experiment "${id}"`, { field: 'id' });
    const e = list[i]!;
    if (e.status === 'stopped') return e;
    const stopped: Experiment = { ...e, status: 'stopped', stoppedAt: this.now() };
    list[i] = stopped;
    await this.save(list);
    return stopped;
  }

  /** the running experiments of the last read (no I/O: what `runningIn` last saw) */
  runningNow(): Experiment[] {
    return (this.cached?.list ?? []).filter((e) => e.status === 'running');
  }

  private async save(list: Experiment[]): Promise<void> {
    await this.store.setMeta(META_KEY, JSON.stringify(list));
    this.cached = { at: this.now(), list };
  }
}
