/** A profile as the API shows it: interests fused and per scenario, with summaries and map points. */

import type { ScoringModel } from '../model/scoring.ts';
import type { InterestCentre, UserProfile } from '../profile/types.ts';
import type { Interest, UserProfileView } from './types.ts';

/** a generated summary of an interest, when one is ready (engine/summaries.ts) */
export type GeneratedSummaryOf = (c: InterestCentre) => { text: string; by: string } | undefined;

export function profileView(
  m: ScoringModel,
  user: string,
  p: UserProfile,
  generated?: GeneratedSummaryOf,
): UserProfileView {
  const view = (list: UserProfile['interests']): Interest[] =>
    list.map((c) => ({
      id: c.id,
      label: c.label,
      ...summaryFields(c, m, generated),
      weight: c.weight,
      scenarioMix: c.scenarioMix,
      lastTs: c.lastTs,
      topItems: c.members.slice(0, 5).map((i) => m.itemIds[i]!),
      ...(c.vector.length >= 2 ? { xy: projectXY(c.vector) } : {}),
    }));
  return {
    user,
    events: p.history.length,
    fused: view(p.interests),
    perScenario: Object.fromEntries(Object.entries(p.perScenario).map(([s, l]) => [s, view(l)])),
    updatedAt: p.updatedAt,
  };
}

function summaryFields(
  c: InterestCentre,
  m: ScoringModel,
  generated: GeneratedSummaryOf | undefined,
): { summary: string; summaryBy?: string } {
  const g = generated?.(c);
  return g ? { summary: g.text, summaryBy: g.by } : { summary: summaryOf(c, m) };
}

function summaryOf(c: UserProfile['interests'][number], m: ScoringModel): string {
  const mix = Object.entries(c.scenarioMix)
    .sort((a, b) => b[1] - a[1])
    .map(([s, w]) => `${s} ${Math.round(w * 100)}%`)
    .join(', ');
  const examples = c.members
    .slice(0, 2)
    .map((i) => m.titles[i])
    .filter(Boolean)
    .join('; ');
  return `${c.label} (${c.members.length} items; ${mix})${examples ? `, e.g. ${examples}` : ''}`;
}

/** a fixed 2-D projection of interest vectors, stable across users so maps are comparable */
function projectXY(v: Float32Array): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < v.length; i++) {
    // deterministic pseudo-random +-1 directions
    const h = Math.imul(i + 1, 2654435761) >>> 0;
    x += (h & 1 ? 1 : -1) * v[i]!;
    y += (h & 2 ? 1 : -1) * v[i]!;
  }
  const s = 1 / Math.sqrt(v.length);
  return [x * s, y * s];
}
