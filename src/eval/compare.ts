/**
 * Paired comparison of two models evaluated on the same test cases: the relative NDCG@10 gain of
 * `model` over `baseline` per (scenario, slice), with a seeded paired-bootstrap 95 % interval. The
 * cases are resampled with replacement and both models' per-case metrics move together, so the
 * interval reflects how much the gain depends on which cases happened to be drawn, not the (much
 * larger) spread of each model's own metric.
 */
import { RecError } from '../core/errors.ts';
import { seededRandom } from '../core/rng.ts';
import type { Comparison, EvalResult, GroupResult, ModelResult } from './schema.ts';

const COMPARE_METRIC = 'ndcg@10';
const BOOTSTRAP_RESAMPLES = 2000;

export interface PairedGain {
  cases: number;
  model: number;
  baseline: number;
  /** model / baseline - 1 on all cases (null when the baseline's mean is 0) */
  gain: number | null;
  /** 2.5 % and 97.5 % percentiles of the resampled gains (null when the baseline's mean is 0) */
  ci95: [number, number] | null;
}

/**
 * Relative gain of `model` over `baseline` with a percentile paired-bootstrap interval: each of
 * `resamples` draws picks n case indices with replacement and computes sum(model) / sum(baseline)
 * - 1 over the same indices.
 */
export function pairedBootstrap(
  model: readonly number[],
  baseline: readonly number[],
  opts: { resamples?: number; seed: number },
): PairedGain {
  const n = model.length;
  if (n !== baseline.length)
    throw new RecError(
      'INVALID_INPUT',
      `paired comparison needs equal case counts (${n} vs ${baseline.length})`,
      {
        field: 'cases',
      },
    );
  let sm = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sm += model[i]!;
    sb += baseline[i]!;
  }
  const mean = (s: number) => (n === 0 ? 0 : s / n);
  if (n === 0 || sb === 0) return { cases: n, model: mean(sm), baseline: mean(sb), gain: null, ci95: null };
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const random = seededRandom(opts.seed);
  const gains = new Float64Array(resamples);
  let kept = 0;
  for (let r = 0; r < resamples; r++) {
    let m = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      m += model[j]!;
      b += baseline[j]!;
    }
    // a resample where the baseline scores 0 everywhere has no relative gain: leave it out
    if (b > 0) gains[kept++] = m / b - 1;
  }
  const sorted = gains.subarray(0, kept).sort();
  const at = (q: number) => sorted[Math.min(kept - 1, Math.max(0, Math.round(q * (kept - 1))))]!;
  return { cases: n, model: mean(sm), baseline: mean(sb), gain: sm / sb - 1, ci95: [at(0.025), at(0.975)] };
}

/** Which case of `result.cases` falls in which (scenario, slice) group, as the harness groups them. */
function groupIndices(result: EvalResult): Map<string, { scenario: string; slice: string; idx: number[] }> {
  const out = new Map<string, { scenario: string; slice: string; idx: number[] }>();
  const multi = result.protocol.scenarios.length > 1;
  (result.cases ?? []).forEach((c, i) => {
    for (const scenario of multi ? ['all', c.scenario] : ['all'])
      for (const slice of c.slices) {
        const key = `${scenario}\u0000${slice}`;
        let g = out.get(key);
        if (!g) {
          g = { scenario, slice, idx: [] };
          out.set(key, g);
        }
        g.idx.push(i);
      }
  });
  return out;
}

function perCase(m: ModelResult): number[] {
  const v = m.perCase?.[COMPARE_METRIC];
  if (!v)
    throw new RecError('INVALID_INPUT', `model ${m.name} has no per-case ${COMPARE_METRIC} to compare`, {
      field: 'models',
    });
  return v;
}

/**
 * The paired comparisons of a results object: each [model, baseline] pair, every (scenario, slice)
 * group of full ranking. Pairs default to every other ok model against the first one.
 */
export function compareModels(
  result: EvalResult,
  pairs?: readonly (readonly [string, string])[],
  seed = result.run.seed,
): Comparison[] {
  const ok = result.models.filter((m) => m.status === 'ok');
  const chosen = pairs ?? ok.slice(1).map((m) => [m.name, ok[0]!.name] as const);
  const groups = [...groupIndices(result).values()];
  const out: Comparison[] = [];
  for (const [a, b] of chosen) {
    const ma = ok.find((m) => m.name === a);
    const mb = ok.find((m) => m.name === b);
    if (!ma || !mb)
      throw new RecError('INVALID_INPUT', `cannot compare ${a} with ${b}: both must be evaluated models`, {
        field: 'compare',
      });
    const va = perCase(ma);
    const vb = perCase(mb);
    for (const g of groups) {
      const r = pairedBootstrap(
        g.idx.map((i) => va[i]!),
        g.idx.map((i) => vb[i]!),
        { seed },
      );
      out.push({
        model: a,
        baseline: b,
        metric: COMPARE_METRIC,
        scenario: g.scenario,
        slice: g.slice,
        cases: r.cases,
        modelValue: r.model,
        baselineValue: r.baseline,
        gain: r.gain,
        ci95: r.ci95,
        resamples: BOOTSTRAP_RESAMPLES,
      });
    }
  }
  return out;
}

/**
 * Results files of the same protocol, seed and test cases (e.g. two models run side by side in
 * separate processes) as one, so their cases can be paired. Refuses files whose cases differ; a
 * model name already taken by an earlier file becomes `name#<file number>`.
 */
export function mergeResults(results: readonly EvalResult[]): EvalResult {
  const [first, ...rest] = results;
  if (!first) throw new RecError('INVALID_INPUT', 'no results to merge', { field: 'json' });
  const key = (r: EvalResult) => JSON.stringify([r.dataset, r.run.seed, r.run.maxUsers, r.cases ?? null]);
  for (const r of rest) {
    if (key(r) !== key(first))
      throw new RecError(
        'INVALID_INPUT',
        'results files differ in dataset, seed, max users or test cases: their cases cannot be paired',
        { field: 'json' },
      );
  }
  const { comparisons: _drop, ...base } = first;
  // the same model from two runs (e.g. two commits): the later file's copy is named `name#<file>`
  const seen = new Set<string>();
  const models = results.flatMap((r, fi) =>
    r.models.map((m) => {
      const name = seen.has(m.name) ? `${m.name}#${fi + 1}` : m.name;
      seen.add(name);
      return name === m.name ? m : { ...m, name };
    }),
  );
  return { ...base, models };
}

/**
 * Results files of the same models on the same test cases at different seeds (separate fits) as
 * one, each model's per-case values and group metrics the mean over the files: a comparison of
 * the pooled file pairs the cases' seed-averaged values, so its interval is that of the gain
 * expected over fits, resampling the cases. Refuses files whose cases differ, a seed given twice,
 * and a model not evaluated in every file.
 */
export function poolSeeds(results: readonly EvalResult[]): EvalResult {
  const [first] = results;
  if (!first || results.length < 2)
    throw new RecError('INVALID_INPUT', 'pooling over seeds needs two results files or more', {
      field: 'json',
    });
  const key = (r: EvalResult) =>
    JSON.stringify([r.dataset, r.protocol.name, r.run.maxUsers, r.cases ?? null]);
  const seeds = results.map((r) => r.run.seed);
  results.forEach((r, fi) => {
    if (key(r) !== key(first))
      throw new RecError(
        'INVALID_INPUT',
        `results file ${fi + 1} differs from the first in dataset, protocol, max users or test cases: its cases cannot be pooled`,
        { field: 'json' },
      );
    if (seeds.indexOf(r.run.seed) !== fi)
      throw new RecError(
        'INVALID_INPUT',
        `seed ${r.run.seed} is given twice (files ${seeds.indexOf(r.run.seed) + 1} and ${fi + 1})`,
        {
          field: 'json',
        },
      );
  });
  const n = results.length;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanOf = (rows: readonly (readonly number[])[]) =>
    rows[0]!.map((_, i) => mean(rows.map((r) => r[i]!)));
  const names = first.models.filter((m) => m.status === 'ok').map((m) => m.name);
  const models = names.map((name) => {
    const runs = results.map((r, fi) => {
      const m = r.models.find((x) => x.name === name && x.status === 'ok');
      if (!m)
        throw new RecError('INVALID_INPUT', `model ${name} is not evaluated in results file ${fi + 1}`, {
          field: 'models',
        });
      return m;
    });
    const perCase: Record<string, number[]> = {};
    for (const metric of Object.keys(runs[0]!.perCase ?? {}))
      if (runs.every((m) => m.perCase?.[metric]))
        perCase[metric] = meanOf(runs.map((m) => m.perCase![metric]!));
    const groupKey = (g: GroupResult) => `${g.scenario}\u0000${g.slice}\u0000${g.ranking}`;
    const groups = runs[0]!.groups.flatMap((g) => {
      const same = runs.map((m) => m.groups.find((x) => groupKey(x) === groupKey(g)));
      if (same.some((x) => !x)) return [];
      const metrics: Record<string, number> = {};
      for (const k of Object.keys(g.metrics))
        if (same.every((x) => k in x!.metrics)) metrics[k] = mean(same.map((x) => x!.metrics[k]!));
      return [{ ...g, metrics }];
    });
    return {
      name,
      description: `${runs[0]!.description} (mean of ${n} fits)`,
      status: 'ok' as const,
      params: { seeds: seeds.join(',') },
      timings: {
        fitMs: mean(runs.map((m) => m.timings.fitMs)),
        evalMs: mean(runs.map((m) => m.timings.evalMs)),
        queriesPerSecond: mean(runs.map((m) => m.timings.queriesPerSecond)),
      },
      groups,
      diversityCurve: [],
      ...(Object.keys(perCase).length > 0 ? { perCase } : {}),
    };
  });
  const { comparisons: _drop, ...base } = first;
  const note = `every model's per-case values and metrics are the mean of its runs at seeds ${seeds.join(', ')}`;
  return { ...base, data: { ...base.data, notes: [...base.data.notes, note] }, models };
}

const pct = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);

/** One line per comparison, e.g. "+3.1 % [-2.0 %, +8.4 %]". */
export function formatGain(c: Comparison): string {
  return c.ci95 ? `${pct(c.gain)} [${pct(c.ci95[0])}, ${pct(c.ci95[1])}]` : pct(c.gain);
}

/** Markdown table of the comparisons (as pasted into docs/results.md). */
export function comparisonsMarkdown(comparisons: readonly Comparison[]): string {
  if (comparisons.length === 0) return '';
  const out = [
    `\n**paired comparison, ${COMPARE_METRIC}, full ranking** (gain = model / baseline - 1; 95 % paired bootstrap over test cases, ${comparisons[0]!.resamples} resamples)\n`,
    '| model | baseline | scenario | slice | cases | model | baseline | gain [95 % interval] |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of comparisons)
    out.push(
      `| ${c.model} | ${c.baseline} | ${c.scenario} | ${c.slice} | ${c.cases} | ${c.modelValue.toFixed(4)} | ${c.baselineValue.toFixed(4)} | ${formatGain(c)} |`,
    );
  return `${out.join('\n')}\n`;
}
