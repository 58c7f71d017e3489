/** Terminal output of the read commands: recommendations, reasons and interests as lines. */
import type { Explanation, Interest, Recommendation } from '../engine/types.ts';

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
    parts.push(
      `context ${ctx.map((c) => `${c.feature}=${String(c.value)} ${c.effect >= 0 ? '+' : ''}${c.effect.toFixed(3)}`).join(', ')}`,
    );
  }
  parts.push(`via ${r.retriever}`);
  return parts.join('; ');
}

export function formatRecommendations(items: readonly Recommendation[]): string {
  return items
    .map((r, i) => {
      const head = `${String(i + 1).padStart(2)}. ${r.title || r.item}  [${r.item}]  score ${r.score.toFixed(4)}`;
      return `${head}\n    ${describeReasons(r.reasons)}`;
    })
    .join('\n');
}

function mix(m: Record<string, number>): string {
  return Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([s, v]) => `${s} ${(v * 100).toFixed(0)}%`)
    .join(', ');
}

export function formatInterests(list: readonly Interest[], indent = '  '): string {
  if (list.length === 0) return `${indent}(none)`;
  return list
    .map(
      (i, k) =>
        `${indent}${k + 1}. ${i.label}  weight ${i.weight.toFixed(3)}  [${mix(i.scenarioMix)}]` +
        (i.summary ? `\n${indent}   ${i.summary}` : '') +
        (i.topItems.length ? `\n${indent}   items: ${i.topItems.slice(0, 5).join(', ')}` : ''),
    )
    .join('\n');
}
