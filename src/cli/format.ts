/** Terminal output of the read commands: recommendations, reasons and interests as lines. */
import type { ContextReason, Explanation, Interest, Recommendation } from '../engine/types.ts';
import { contextPhrase } from '../model/context.ts';

/** a context reason as words and its effect on the score: "in the evening (16–20 h) +0.012" */
export function describeContext(c: ContextReason, digits = 3): string {
  return `${contextPhrase(c.feature, c.value)} ${c.effect >= 0 ? '+' : ''}${c.effect.toFixed(digits)}`;
}

/** "Title [id]", or the id alone where the item has no title */
export function itemName(id: string, title: string | undefined): string {
  return title ? `"${title}" [${id}]` : id;
}

/** One line of reasons. */
export function describeReasons(r: Explanation): string {
  const parts: string[] = [];
  if (r.sentence) parts.push(r.sentence);
  if (r.interest) parts.push(`interest "${r.interest.label}" (sim ${r.interest.similarity.toFixed(2)})`);
  if (r.history.length) {
    parts.push(
      `because of ${r.history
        .slice(0, 3)
        .map((h) => `"${h.title || h.item}" (${h.scenario})`)
        .join(', ')}`,
    );
  }
  const ctx = r.context.filter((c) => Math.abs(c.effect) > 1e-4);
  if (ctx.length) {
    parts.push(`context: ${ctx.map((c) => describeContext(c)).join(', ')}`);
  }
  parts.push(`via ${r.retriever}`);
  return parts.join('; ');
}

/**
 * The list with each item's reasons. MMR re-ranking (`lambda` > 0) may place an item below one
 * with a lower score; a footnote says so where it did.
 */
export function formatRecommendations(items: readonly Recommendation[], lambda = 0): string {
  const reordered = items.some((r, i) => i > 0 && r.score > items[i - 1]!.score);
  const list = items
    .map((r, i) => {
      const head = `${String(i + 1).padStart(2)}. ${r.title || r.item}  [${r.item}]  score ${r.score.toFixed(4)}`;
      return `${head}\n    ${describeReasons(r.reasons)}`;
    })
    .join('\n');
  if (!reordered) return list;
  return `${list}\n(order includes diversity re-ranking, λ=${lambda}: an item like those above it moves down; --diversity 0 orders by score alone)`;
}

function mix(m: Record<string, number>): string {
  return Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([s, v]) => `${s} ${(v * 100).toFixed(0)}%`)
    .join(', ');
}

/** `titles` maps item ids to titles (missing ones print as ids) */
export function formatInterests(
  list: readonly Interest[],
  titles: ReadonlyMap<string, string>,
  indent = '  ',
): string {
  if (list.length === 0) return `${indent}(none)`;
  return list
    .map(
      (i, k) =>
        `${indent}${k + 1}. ${i.label}  weight ${i.weight.toFixed(3)}  [${mix(i.scenarioMix)}]` +
        (i.summary ? `\n${indent}   ${i.summary}` : '') +
        (i.topItems.length
          ? `\n${indent}   items: ${i.topItems
              .slice(0, 5)
              .map((id) => itemName(id, titles.get(id)))
              .join(', ')}`
          : ''),
    )
    .join('\n');
}
