/**
 * Why `recommend` would show an item: the reasons it would give in the item's own scenario, its
 * score, and the retriever recommend credits for the same profile and context (the candidates of
 * a default-sized request, without exclusions), or `none` where the chain would not propose it.
 */
import type { Context, Scenario } from '../core/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { UserProfile } from '../profile/types.ts';
import { explainItem } from '../rank/explain.ts';
import { type Query, scoreCandidates } from '../rank/query.ts';
import { reasonsOf } from './answer-items.ts';
import type { Profiles } from './profiles.ts';
import { type Ranking, retrieverOf } from './recommend.ts';
import { DEFAULT_N, type ValidRecommendRequest } from './requests.ts';
import type { ExplanationSentences } from './sentences.ts';
import type { Explanation } from './types.ts';

export interface ExplainDeps {
  model: ScoringModel;
  profiles: Profiles;
  ranking: Ranking;
  sentences: ExplanationSentences;
  query: (profile: UserProfile, scenario: string, context?: Context) => Query;
  scenarioOf: (id: string) => { scenario: Scenario | undefined; code: number };
}

export async function explainAnswer(
  d: ExplainDeps,
  user: string,
  item: number,
  context?: Context,
): Promise<Explanation & { score: number }> {
  const m = d.model;
  const id = m.scenarios[m.scenarioCode[item]!]!;
  const profile = await d.profiles.forScenario(user, id);
  const q = d.query(profile, id, context);
  const score = scoreCandidates(q, [item])[0]!;
  const req: ValidRecommendRequest = { user, scenario: id, n: DEFAULT_N, ...(context ? { context } : {}) };
  const { scenario, code } = d.scenarioOf(id);
  const candidates = d.ranking.candidates(req, () => q, profile, scenario, code);
  const reasons = reasonsOf(m, explainItem(q, item), retrieverOf(candidates, item));
  const sentence = await d.sentences.explain({ title: m.titles[item] ?? '', scenario: id }, reasons);
  return { ...reasons, sentence, score };
}
