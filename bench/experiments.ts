/**
 * How many simulated users an A/B test and a team-draft interleaving test need to find a
 * known-better variant, over 50 seeded runs each.
 *   npm run bench:experiments [-- --pool 1100 --runs 50 --scenario shop --activity 0,1]
 * The lists come from the real engine on demo data (bench/demo-lists.ts): the model's ranking
 * ("better") against worse arms made through experiment variants: served worst-first or shuffled
 * (`ranking: reversed | random`), the most diverse MMR, and milder MMR settings whose cost in
 * clicks is a few per cent, the size of change real experiments decide. Users click by the demo
 * taste model (src/demo/simulate.ts), once with users alike and once with users who differ in how
 * readily they click (`--activity`: the log-scale of a log-normal multiplier of their click
 * chances). Each run samples its users from the pool, splits them with the shipped A/B hash (a new
 * experiment id per run) or interleaves with the shipped team draft, and tallies with the shipped
 * statistics. A run is won when the better variant has the higher click-through (A/B) or more won
 * lists (interleaving); "significant" when the 95 % interval excludes 0 in its favour. Prints
 * numbers; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { sessionRandom, type TasteModel, tasteModel } from '../src/demo/simulate.ts';
import { ExperimentTally } from '../src/engine/experiment-stats.ts';
import { type Experiment, teamDraft, variantOf } from '../src/engine/experiments.ts';
import type { Attribution, Impression } from '../src/store/data/types.ts';
import { demoLists } from './demo-lists.ts';

const { values: args } = parseArgs({
  options: {
    pool: { type: 'string', default: '1100' },
    runs: { type: 'string', default: '50' },
    scenario: { type: 'string', default: 'shop' },
    n: { type: 'string', default: '10' },
    activity: { type: 'string', default: '0,1' },
  },
});
const POOL = Number(args.pool);
const RUNS = Number(args.runs);
const SCENARIO = args.scenario;
const N = Number(args.n);
/**
 * steps of about 1.5x, so a ratio of users needed is read to within that; beyond the pool, users
 * are drawn with replacement (a user drawn twice keeps their A/B arm: a second session of theirs)
 */
const GRID = [
  4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
];

const { users, data, lists } = await demoLists({
  pool: POOL,
  scenario: SCENARIO,
  n: N,
  variants: {
    model: { ranking: 'model' },
    reversed: { ranking: 'reversed' },
    random: { ranking: 'random' },
    'diversity 1': { ranking: 'model', diversity: 1 },
    'diversity 0.5': { ranking: 'model', diversity: 0.5 },
    'diversity 0.3': { ranking: 'model', diversity: 0.3 },
  },
});
const { model: better, ...worse } = lists;

function sample(run: number, k: number): string[] {
  const rng = sessionRandom(run, 'users');
  if (k > users.length) return Array.from({ length: k }, () => users[Math.floor(rng() * users.length)]!);
  const pool = [...users];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

const TYPES = { click: new Set(['click']), conversion: new Set<string>() };

function impression(id: string, user: string, items: string[], extra: Partial<Impression>): Impression {
  return {
    id,
    user,
    scenario: SCENARIO,
    ts: 0,
    modelVersion: 'bench',
    ...extra,
    items: items.map((item, position) => ({ item, position, score: 0 })),
  };
}

const experiment = (id: string, kind: Experiment['kind']): Experiment => ({
  id,
  scenario: SCENARIO,
  kind,
  variants: [
    { name: 'worse', ranking: 'model', ...(kind === 'ab' ? { share: 0.5 } : {}) },
    { name: 'better', ranking: 'model', ...(kind === 'ab' ? { share: 0.5 } : {}) },
  ],
  status: 'running',
  createdAt: 0,
});

/** one A/B run: each user one list of their arm */
function abRun(taste: TasteModel, run: number, k: number, worseLists: Map<string, string[]>) {
  const e = experiment(`ab-${run}`, 'ab');
  const tally = new ExperimentTally(e, TYPES);
  const imps: Impression[] = [];
  const credits: Attribution[] = [];
  for (const [i, u] of sample(run, k).entries()) {
    const v = variantOf(e, u).name;
    const items = (v === 'better' ? better! : worseLists).get(u)!;
    const id = `${run}-${i}`;
    imps.push(impression(id, u, items, { experiment: e.id, variant: v }));
    for (const p of taste.clicks(u, items, sessionRandom(run, `ab:${i}:${u}`)))
      credits.push({ event: `${id}-${p}`, impression: id, user: u, item: items[p]!, type: 'click', ts: 0 });
  }
  tally.add(imps, credits);
  const [w, b] = tally.result().variants;
  return {
    ctr: {
      won: b!.clickThrough.rate > w!.clickThrough.rate,
      significant: b!.vsControl!.clickThrough.verdict === 'better',
    },
    clicks: {
      won: b!.clicksPerList.mean > w!.clicksPerList.mean,
      significant: b!.vsControl!.clicksPerList.verdict === 'better',
    },
  };
}

/** one interleaving run: each user one list merged from both rankings */
function interleaveRun(taste: TasteModel, run: number, k: number, worseLists: Map<string, string[]>) {
  const e = experiment(`il-${run}`, 'interleave');
  const tally = new ExperimentTally(e, TYPES);
  const imps: Impression[] = [];
  const credits: Attribution[] = [];
  for (const [i, u] of sample(run, k).entries()) {
    const merged = teamDraft(worseLists.get(u)!, better!.get(u)!, N, sessionRandom(run, `draft:${i}:${u}`));
    const id = `${run}-${i}`;
    const items = merged.map((m) => m.item);
    const imp = impression(id, u, items, { experiment: e.id });
    for (const [i, x] of imp.items.entries()) x.team = merged[i]!.team === 0 ? 'worse' : 'better';
    imps.push(imp);
    for (const p of taste.clicks(u, items, sessionRandom(run, `il:${i}:${u}`)))
      credits.push({ event: `${id}-${p}`, impression: id, user: u, item: items[p]!, type: 'click', ts: 0 });
  }
  tally.add(imps, credits);
  const il = tally.result().interleaving!;
  return { won: il.wins.better! > il.wins.worse!, significant: il.preference.verdict === 'better' };
}

const say = (k: number | undefined) => (k === undefined ? `> ${GRID[GRID.length - 1]}` : String(k));
const METHODS = ['A/B click-through', 'A/B clicks per list', 'interleaving'] as const;
type Method = (typeof METHODS)[number];
const summary: string[] = [];
for (const activity of args.activity.split(',').map(Number)) {
  const taste = tasteModel(data, { activity });
  const mean = (m: Map<string, string[]>, f: (u: string, items: string[]) => number) =>
    users.reduce((s, u) => s + f(u, m.get(u)!), 0) / users.length;
  /** the chance a list gets at least one click: what click-through measures */
  const anyClick = (u: string, items: string[]) =>
    1 - items.reduce((p, it, k) => p * (1 - taste.examination(k) * taste.clickProbability(u, it)), 1);
  const show = (m: Map<string, string[]>) =>
    `${mean(m, taste.expectedClicks).toFixed(3)} clicks, ${(100 * mean(m, anyClick)).toFixed(1)} % clicked`;
  console.log(
    `\n== activity ${activity}: pool ${POOL} users, scenario ${SCENARIO}, n ${N}; per list under the taste model: model ${show(better!)}; ${Object.entries(
      worse,
    )
      .map(([k, m]) => `${k} ${show(m)}`)
      .join('; ')}`,
  );
  const base = mean(better!, taste.expectedClicks);
  for (const [name, worseLists] of Object.entries(worse)) {
    const gap = (100 * (base - mean(worseLists, taste.expectedClicks))) / base;
    console.log(
      `\nmodel vs ${name} (${gap.toFixed(1)} % fewer expected clicks): share of ${RUNS} runs the better variant wins (significant at 95 %)`,
    );
    console.log('users'.padStart(6), ...METHODS.map((m) => m.padStart(22)));
    const need = new Map<string, number>();
    for (const k of GRID) {
      const t = new Map<string, number>();
      const add = (key: string, yes: boolean) => t.set(key, (t.get(key) ?? 0) + Number(yes));
      for (let run = 1; run <= RUNS; run++) {
        const a = abRun(taste, run, k, worseLists);
        const b = interleaveRun(taste, run, k, worseLists);
        const by: Record<Method, { won: boolean; significant: boolean }> = {
          'A/B click-through': a.ctr,
          'A/B clicks per list': a.clicks,
          interleaving: b,
        };
        for (const m of METHODS) {
          add(m, by[m].won);
          add(`${m} sig`, by[m].significant);
        }
      }
      for (const [key, v] of t) if (!need.has(key) && v / RUNS >= 0.95) need.set(key, k);
      const cell = (m: Method) =>
        `${((100 * t.get(m)!) / RUNS).toFixed(0)} % (${((100 * t.get(`${m} sig`)!) / RUNS).toFixed(0)} %)`;
      console.log(String(k).padStart(6), ...METHODS.map((m) => cell(m).padStart(22)));
      if (METHODS.every((m) => need.has(`${m} sig`))) break;
    }
    const line = (suffix: string) => METHODS.map((m) => `${m} ${say(need.get(`${m}${suffix}`))}`).join(', ');
    const out = `activity ${activity}, model vs ${name} (${gap.toFixed(1)} %): users for >= 95 % wins: ${line('')}; for >= 95 % significant: ${line(' sig')}`;
    console.log(out);
    summary.push(out);
  }
}
console.log(`\n${summary.join('\n')}`);
