/**
 * How ranked items become an answer's items: the promoted slots placed among the organic ones,
 * the scenario's freshness boost, and each item with the reasons it was recommended.
 */
import type { ScoringModel } from '../model/scoring.ts';
import type { ItemExplanation } from '../rank/explain.ts';
import type { Explanation, Recommendation } from './types.ts';

/**
 * The list with the promoted items placed: `top` = the first slots; `spread` = at positions
 * round(k * n / slots) for the k-th promoted item (0 and 5 for 2 of 10), the organic items in
 * order around them.
 */
export function place(
  organic: readonly number[],
  promoted: readonly number[],
  placement: 'top' | 'spread',
  n: number,
): number[] {
  if (promoted.length === 0) return organic.slice(0, n);
  if (placement === 'top') return [...promoted, ...organic].slice(0, n);
  const total = Math.min(n, organic.length + promoted.length);
  const at = new Set(
    promoted.map((_, k) => Math.min(total - promoted.length + k, Math.round((k * n) / promoted.length))),
  );
  const out: number[] = [];
  let p = 0;
  let o = 0;
  for (let pos = 0; pos < total; pos++) {
    if ((at.has(pos) && p < promoted.length) || o >= organic.length) out.push(promoted[p++]!);
    else out.push(organic[o++]!);
  }
  return out;
}

/** the freshness boost of an item created at `createdAt` (none without one) */
export function freshness(
  createdAt: number | undefined,
  rule: { halfLifeDays: number; weight: number },
  now: number,
): number {
  if (createdAt === undefined) return 0;
  const ageDays = Math.max(0, now - createdAt) / 86_400_000;
  return rule.weight * 0.5 ** (ageDays / rule.halfLifeDays);
}

export function recommendationOf(
  m: ScoringModel,
  item: number,
  score: number,
  retriever: string,
  x: ItemExplanation,
): Recommendation {
  return {
    item: m.itemIds[item]!,
    title: m.titles[item] ?? '',
    scenario: m.scenarios[m.scenarioCode[item]!]!,
    score,
    reasons: reasonsOf(m, x, retriever),
  };
}

export function reasonsOf(m: ScoringModel, x: ItemExplanation, retriever: string): Explanation {
  return {
    retriever,
    ...(x.interest ? { interest: x.interest } : {}),
    history: x.history.map((h) => ({
      item: m.itemIds[h.item]!,
      title: m.titles[h.item] ?? '',
      scenario: h.scenario,
      contribution: h.share,
    })),
    context: x.context,
  };
}
