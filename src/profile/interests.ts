/**
 * Multi-interest profile: weighted spherical k-means over the vectors of the items a user
 * engaged with. Weights combine the event weight and a recency decay by position, so a recent
 * purchase counts more than an old view. Negative events pull their nearest centre away.
 * Deterministic: seeding picks the heaviest item, then farthest-first.
 */
import { dot } from '../core/vec.ts';
import { labelFromTitles } from './label.ts';
import type { HistoryEntry, InterestCentre, ItemSpace, UserProfile } from './types.ts';

export interface ProfileOptions {
  maxInterests: number;
  /** multiplicative decay per step back in the history (1 = none) */
  recencyDecay: number;
  /** how strongly negatives push their nearest centre away */
  negativePush: number;
  /** most recent entries considered */
  maxHistory: number;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  maxInterests: 4,
  recencyDecay: 0.9,
  negativePush: 0.3,
  maxHistory: 200,
};

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/** recency weight of each history entry: decay^(steps from the end) */
function recencyWeights(history: readonly HistoryEntry[], decay: number): Float64Array {
  const out = new Float64Array(history.length);
  let f = 1;
  for (let i = history.length - 1; i >= 0; i--) {
    out[i] = f;
    f *= decay;
  }
  return out;
}

/** A short label: the words that set the members apart in their scenario (see label.ts). */
function labelOf(members: readonly number[], space: ItemSpace): string {
  const label = space.labels
    ? space.labels.label(members)
    : labelFromTitles(members.slice(0, 30).map((m) => space.title(m)));
  if (label) return label;
  const first = members[0];
  return first === undefined ? 'general' : space.title(first) || `item ${first}`;
}

interface Point {
  entry: HistoryEntry;
  v: Float32Array;
  w: number;
}

/** Interest centres of a set of history entries. */
function clusterInterests(
  history: readonly HistoryEntry[],
  space: ItemSpace,
  opts: ProfileOptions,
  idPrefix = 'i',
): InterestCentre[] {
  const rec = recencyWeights(history, opts.recencyDecay);
  const pos: Point[] = [];
  const neg: Point[] = [];
  history.forEach((entry, i) => {
    const v = space.vector(entry.item);
    if (!v) return;
    const w = entry.weight * rec[i]!;
    if (w > 0) pos.push({ entry, v, w });
    else if (w < 0) neg.push({ entry, v, w: -w });
  });
  if (pos.length === 0) return fallbackInterests(history, space, rec, idPrefix);
  const k = Math.min(opts.maxInterests, Math.max(1, Math.round(Math.sqrt(pos.length / 2))));
  // farthest-first seeding from the heaviest point keeps runs deterministic
  const heaviest = pos.reduce((b, p) => (p.w > b.w ? p : b), pos[0]!);
  const centres: Float32Array[] = [Float32Array.from(heaviest.v)];
  // each point's distance to its nearest centre so far, updated with each new centre only
  const nearest = Float64Array.from(pos, (p) => 1 - dot(centres[0]!, p.v));
  while (centres.length < k) {
    let best = -1;
    let bestD = -1;
    for (let i = 0; i < pos.length; i++) {
      const d = nearest[i]! * pos[i]!.w;
      if (d > bestD) {
        bestD = d;
        best = i;
      }
    }
    if (best < 0 || bestD <= 1e-6) break;
    const c = Float32Array.from(pos[best]!.v);
    centres.push(c);
    for (let i = 0; i < pos.length; i++) nearest[i] = Math.min(nearest[i]!, 1 - dot(c, pos[i]!.v));
  }
  let assign = new Int32Array(pos.length);
  for (let iter = 0; iter < 8; iter++) {
    const next = Int32Array.from(pos, (p) => argmax(centres, p.v));
    // the same assignment again gives the same centres again: converged
    if (iter > 0 && next.every((c, i) => c === assign[i])) break;
    assign = next;
    const sums = centres.map(() => new Float32Array(space.dim));
    pos.forEach((p, i) => {
      const s = sums[assign[i]!]!;
      for (let d = 0; d < s.length; d++) s[d]! += p.v[d]! * p.w;
    });
    sums.forEach((s, c) => {
      if (s.some((x) => x !== 0)) centres[c] = normalise(s);
    });
  }
  for (const n of neg) {
    const c = centres[argmax(centres, n.v)]!;
    for (let d = 0; d < c.length; d++) c[d]! -= opts.negativePush * n.w * n.v[d]!;
    normalise(c);
  }
  const total = pos.reduce((s, p) => s + p.w, 0);
  const out: InterestCentre[] = centres.map((vector, c) => {
    const members = pos.map((p, i) => ({ p, i, s: 0 })).filter(({ i }) => assign[i] === c);
    // each member's weighted similarity once, not once per comparison
    for (const m of members) m.s = dot(vector, m.p.v) * m.p.w;
    members.sort((a, b) => b.s - a.s);
    const mass = members.reduce((s, m) => s + m.p.w, 0);
    const mix: Record<string, number> = {};
    for (const m of members) mix[m.p.entry.scenario] = (mix[m.p.entry.scenario] ?? 0) + m.p.w / (mass || 1);
    const items = [...new Set(members.map((m) => m.p.entry.item))];
    let label: string | undefined;
    return {
      id: `${idPrefix}${c}`,
      vector,
      weight: mass / total,
      scenarioMix: mix,
      lastTs: Math.max(...members.map((m) => m.p.entry.ts), 0),
      members: items,
      // worded on first read: a request reads the labels of the interests its explanations cite only
      get label() {
        label ??= labelOf(items, space);
        return label;
      },
    };
  });
  return out.filter((c) => c.members.length > 0).sort((a, b) => b.weight - a.weight);
}

function argmax(centres: readonly Float32Array[], v: Float32Array): number {
  let best = 0;
  let bestS = Number.NEGATIVE_INFINITY;
  centres.forEach((c, i) => {
    const s = dot(c, v);
    if (s > bestS) {
      bestS = s;
      best = i;
    }
  });
  return best;
}

/** Without item vectors (id-only datasets) one interest per scenario, by mass. */
function fallbackInterests(
  history: readonly HistoryEntry[],
  space: ItemSpace,
  rec: Float64Array,
  idPrefix: string,
): InterestCentre[] {
  const by = new Map<string, { mass: number; items: Map<number, number>; lastTs: number }>();
  history.forEach((e, i) => {
    const w = e.weight * rec[i]!;
    if (w <= 0) return;
    const g = by.get(e.scenario) ?? { mass: 0, items: new Map(), lastTs: 0 };
    g.mass += w;
    g.items.set(e.item, (g.items.get(e.item) ?? 0) + w);
    g.lastTs = Math.max(g.lastTs, e.ts);
    by.set(e.scenario, g);
  });
  const total = [...by.values()].reduce((s, g) => s + g.mass, 0);
  return [...by.entries()]
    .sort((a, b) => b[1].mass - a[1].mass)
    .map(([scenario, g], c) => {
      const members = [...g.items.entries()].sort((a, b) => b[1] - a[1]).map(([it]) => it);
      return {
        id: `${idPrefix}${c}`,
        vector: new Float32Array(0),
        weight: g.mass / total,
        scenarioMix: { [scenario]: 1 },
        lastTs: g.lastTs,
        members,
        label: labelOf(members, space),
      };
    });
}

/** Fused and per-scenario interests of a history (pure; call again after each new event). */
export function buildProfile(
  user: string,
  history: readonly HistoryEntry[],
  space: ItemSpace,
  opts: ProfileOptions = DEFAULT_PROFILE_OPTIONS,
): UserProfile {
  const recent = history.slice(-opts.maxHistory);
  const scenarios = [...new Set(recent.map((h) => h.scenario))].sort();
  const interests = clusterInterests(recent, space, opts, 'f');
  // Each scenario's own interests are clustered on first read (then kept): a request in one
  // scenario clusters that scenario alone, the profile view all of them.
  const perScenario: Record<string, InterestCentre[]> = {};
  if (scenarios.length === 1) perScenario[scenarios[0]!] = interests;
  else
    for (const s of scenarios) {
      let own: InterestCentre[] | undefined;
      Object.defineProperty(perScenario, s, {
        enumerable: true,
        get: () => {
          own ??= clusterInterests(
            recent.filter((h) => h.scenario === s),
            space,
            opts,
            `${s}:`,
          );
          return own;
        },
      });
    }
  return {
    user,
    history: [...history],
    interests,
    perScenario,
    updatedAt: recent.reduce((m, h) => Math.max(m, h.ts), 0),
  };
}

/** Appends events in order and rebuilds the interests; cheap enough per event (k-means on <= maxHistory points). */
export function updateProfile(
  profile: UserProfile,
  entries: readonly HistoryEntry[],
  space: ItemSpace,
  opts: ProfileOptions = DEFAULT_PROFILE_OPTIONS,
): UserProfile {
  const history = [...profile.history, ...entries].sort((a, b) => a.ts - b.ts);
  return buildProfile(profile.user, history, space, opts);
}
