/** Markdown tables of a results file, as pasted into docs/results.md. */
import { comparisonsMarkdown } from './compare.ts';
import type { EvalResult, GroupResult } from './schema.ts';

const f = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(4));

function find(groups: GroupResult[], scenario: string, slice: string, ranking: 'full' | 'sampled') {
  return groups.find((g) => g.scenario === scenario && g.slice === slice && g.ranking === ranking);
}

export function resultsMarkdown(r: EvalResult): string {
  const out: string[] = [];
  const scenarios = ['all', ...(r.protocol.scenarios.length > 1 ? r.protocol.scenarios : [])];
  const ks = r.protocol.ks.filter((k) => k >= 10);
  const cols = [...ks.flatMap((k) => [`hr@${k}`, `ndcg@${k}`]), 'mrr', 'coverage@10', 'novelty@10', 'ild@10'];
  const slices = [...new Set(r.models.flatMap((m) => m.groups.map((g) => g.slice)))];
  for (const slice of slices) {
    for (const sc of scenarios) {
      const rows = r.models
        .filter((m) => m.status === 'ok')
        .map((m) => ({ m, g: find(m.groups, sc, slice, 'full') }))
        .filter((x) => x.g);
      if (rows.length === 0) continue;
      out.push(`\n**full ranking, scenario ${sc}, slice ${slice}** (${rows[0]!.g!.cases} cases)\n`);
      out.push(`| model | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`);
      for (const { m, g } of rows)
        out.push(`| ${m.name} | ${cols.map((c) => f(g!.metrics[c])).join(' | ')} |`);
    }
  }
  if (r.protocol.sampledNegatives > 0) {
    const sc = ['hr@1', 'hr@5', 'hr@10', 'ndcg@5', 'ndcg@10', 'mrr'];
    for (const slice of slices) {
      for (const s of scenarios) {
        const rows = r.models.map((m) => ({ m, g: find(m.groups, s, slice, 'sampled') })).filter((x) => x.g);
        if (rows.length === 0) continue;
        out.push(
          `\n**target vs ${r.protocol.sampledNegatives} sampled negatives, scenario ${s}, slice ${slice}** (${rows[0]!.g!.cases} cases)\n`,
        );
        out.push(`| model | ${sc.join(' | ')} |`, `|---|${sc.map(() => '---').join('|')}|`);
        for (const { m, g } of rows)
          out.push(`| ${m.name} | ${sc.map((c) => f(g!.metrics[c])).join(' | ')} |`);
      }
    }
  }
  if (r.comparisons) out.push(comparisonsMarkdown(r.comparisons));
  out.push(
    '\n**tuned parameters and timings**\n',
    '| model | params | fit s | eval s |',
    '|---|---|---|---|',
  );
  for (const m of r.models) {
    out.push(
      `| ${m.name} | ${m.status === 'ok' ? `\`${JSON.stringify(m.params)}\`` : `skipped: ${m.reason}`} | ${(m.timings.fitMs / 1000).toFixed(0)} | ${(m.timings.evalMs / 1000).toFixed(0)} |`,
    );
  }
  return `${out.join('\n')}\n`;
}
