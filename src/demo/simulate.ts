/**
 * Simulated users who click by a known taste model, for driving traffic through the API in tests
 * and benchmarks. Each demo user (src/demo/generate.ts) has two tastes with weights 0.62 and 0.30,
 * recorded in their `tastes` attribute; an item belongs to one taste (its `theme`). The chance a
 * user clicks an item they examine is `floor + scale * w`, with `w` the weight of the item's taste
 * for the user (0 for a taste they lack); the chance they examine position `p` (from 0) is
 * `1 / log2(p + 2)`, the position bias DCG assumes (a position-based click model: clicks on
 * different positions are independent, a user may click several). So which of two lists is better
 * for a user is known exactly: `expectedClicks`.
 *
 * Real users also differ in how readily they click at all: a few click much, most click little.
 * `activity` gives each user a multiplier of their click chances, log-normal with mean 1 and
 * log-scale `activity` (0, the default: every user alike), drawn from a stream fixed by the user id.
 */
import { seededRandom } from '../core/rng.ts';
import type { Item, User } from '../core/types.ts';
import { THEMES } from './catalog.ts';

/** the persona weights of generate.ts: first taste, second taste */
const TASTE_WEIGHTS = [0.62, 0.3] as const;

export interface TasteModelOptions {
  /** click chance of an examined item of no taste of the user */
  floor?: number;
  /** added click chance per unit of taste weight */
  scale?: number;
  /** log-scale of the users' click-readiness multiplier (log-normal, mean 1); 0: users alike */
  activity?: number;
}

export interface TasteModel {
  /** the chance that `user` clicks `item` once they examine it */
  clickProbability(user: string, item: string): number;
  /** the chance a user examines the item at `position` (0-based) */
  examination(position: number): number;
  /** clicks a user is expected to make on a list: the sum of examination x click chances */
  expectedClicks(user: string, items: readonly string[]): number;
  /** one seeded session: the positions the user clicks */
  clicks(user: string, items: readonly string[], rng: () => number): number[];
}

/** The taste model of a demo data set (its users and items, as generateDemo made them). */
export function tasteModel(
  data: { users: readonly User[]; items: readonly Item[] },
  opts: TasteModelOptions = {},
): TasteModel {
  const floor = opts.floor ?? 0.02;
  const scale = opts.scale ?? 0.5;
  const themeByLabel = new Map(THEMES.map((t) => [t.label, t.id]));
  const tastes = new Map<string, Map<string, number>>();
  for (const u of data.users) {
    const labels = String(u.attributes?.tastes ?? '').split(' + ');
    const weights = new Map<string, number>();
    labels.forEach((label, i) => {
      const id = themeByLabel.get(label);
      if (id !== undefined && i < TASTE_WEIGHTS.length) weights.set(id, TASTE_WEIGHTS[i]!);
    });
    tastes.set(u.id, weights);
  }
  const themeOf = new Map(data.items.map((it) => [it.id, String(it.attributes?.theme ?? '')]));
  const sigma = opts.activity ?? 0;
  const readiness = new Map(
    data.users.map((u) => {
      const rng = sessionRandom(0, `activity:${u.id}`);
      // Box-Muller: one standard normal per user
      const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
      return [u.id, Math.exp(sigma * z - (sigma * sigma) / 2)];
    }),
  );
  const clickProbability = (user: string, item: string) =>
    Math.min(
      1,
      (readiness.get(user) ?? 1) * (floor + scale * (tastes.get(user)?.get(themeOf.get(item) ?? '') ?? 0)),
    );
  const examination = (position: number) => 1 / Math.log2(position + 2);
  return {
    clickProbability,
    examination,
    expectedClicks: (user, items) =>
      items.reduce((s, it, p) => s + examination(p) * clickProbability(user, it), 0),
    clicks(user, items, rng) {
      const out: number[] = [];
      items.forEach((it, p) => {
        // two draws whatever happens, so one session's randomness does not shift the next's
        const seen = rng() < examination(p);
        const click = rng() < clickProbability(user, it);
        if (seen && click) out.push(p);
      });
      return out;
    },
  };
}

/** a seeded stream per (seed, label): reruns of one seed see the same sessions */
export function sessionRandom(seed: number, label: string): () => number {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return seededRandom(h);
}
