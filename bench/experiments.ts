/**
 * How many simulated users an A/B test and a team-draft interleaving test need to find a
 * known-better variant, over 50 seeded runs each.
 *   npm run bench:experiments [-- --pool 600 --runs 50 --scenario shop]
 * The lists come from the real engine on demo data (no text vectors; trained as `fusionrec train`
 * trains): the model's ranking ("better") and the same engine's ranking served worst-first or
 * shuffled through an experiment variant (`ranking: reversed | random`, "worse"). Users click by
 * the demo taste model (src/demo/simulate.ts). Each run samples its users from the pool, splits
 * them with the shipped A/B hash (a new experiment id per run) or interleaves with the shipped
 * team draft, and tallies with the shipped statistics. A run is won when the better variant has
 * the higher click-through (A/B) or more won lists (interleaving); "significant" when the 95 %
 * interval excludes 0 in its favour. Prints numbers; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.ts';
import { writeDemo } from '../src/demo/build.ts';
import { generateDemo } from '../src/demo/generate.ts';
import { sessionRandom, tasteModel } from '../src/demo/simulate.ts';
import { createEngine } from '../src/engine/create.ts';
import { ExperimentTally } from '../src/engine/experiment-stats.ts';
import { type Experiment, teamDraft, variantOf } from '../src/engine/experiments.ts';
import type { Attribution, Impression } from '../src/store/data/types.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';

const { values: args } = parseArgs({
  options: {
    pool: { type: 'string', default: '600' },
    runs: { type: 'string', default: '50' },
    scenario: { type: 'string', default: 'shop' },
    n: { type: 'string', default: '10' },
  },
});
const POOL = Number(args.pool);
const RUNS = Number(args.runs);
const SCENARIO = args.scenario;
const N = Number(args.n);
const NOW = Date.UTC(2026, 0, 15, 12);
const GRID = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].filter((u) => u <= POOL);

const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-exp-'));
const store = new SqliteStore(join(dir, 'demo.db'));
const demo = { users: POOL, now: NOW };
await writeDemo(store, demo);
const config = parseConfig({
  store: { url: `sqlite://${join(dir, 'demo.db')}` },
  seq: { enabled: false },
  feedback: { impressions: false },
});
await trainFromStore(store, config, {});
const engine = await createEngine(config, { store, encoder: null });
const data = generateDemo(demo);
const taste = tasteModel(data);
const users = data.users.map((u) => u.id);

/** each user's list under one variant, through the engine's experiment path */
async function listsOf(
  label: string,
  variant: { ranking: 'model' | 'reversed' | 'random'; diversity?: number },
): Promise<Map<string, string[]>> {
  const id = `lists-${label}`;
  await engine.experiments!.create({
    id,
    scenario: SCENARIO,
    kind: 'ab',
    variants: [
      { name: 'only', share: 1, ...variant },
      { name: 'never', share: 0 },
    ],
  });
  const out = new Map<string, string[]>();
  for (const u of users)
    out.set(
      u,
      (await engine.recommend({ user: u, scenario: SCENARIO, n: N })).items.map((r) => r.item),
    );
  await engine.experiments!.stop(id);
  return out;
}

const better = await listsOf('model', { ranking: 'model' });
const worse = {
  reversed: await listsOf('reversed', { ranking: 'reversed' }),
  random: await listsOf('random', { ranking: 'random' }),
  // the most diverse MMR: a subtler change, worse or not as the taste model says (expected clicks)
  'diversity 1': await listsOf('diverse', { ranking: 'model', diversity: 1 }),
};
await engine.close();
rmSync(dir, { recursive: true, force: true });

const mean = (m: Map<string, string[]>) =>
  users.reduce((s, u) => s + taste.expectedClicks(u, m.get(u)!), 0) / users.length;
console.log(
  `pool ${POOL} users, scenario ${SCENARIO}, n ${N}; expected clicks per list (taste model): model ${mean(better).toFixed(3)}, ${Object.entries(
    worse,
  )
    .map(([k, m]) => `${k} ${mean(m).toFixed(3)}`)
    .join(', ')}`,
);

function sample(run: number, k: number): string[] {
  const rng = sessionRandom(run, 'users');
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

/** one A/B run: each user one list of their arm */
function abRun(run: number, k: number, worseLists: Map<string, string[]>) {
  const e: Experiment = {
    id: `ab-${run}`,
    scenario: SCENARIO,
    kind: 'ab',
    variants: [
      { name: 'worse', share: 0.5, ranking: 'model' },
      { name: 'better', share: 0.5, ranking: 'model' },
    ],
    status: 'running',
    createdAt: 0,
  };
  const tally = new ExperimentTally(e, TYPES);
  const imps: Impression[] = [];
  const credits: Attribution[] = [];
  for (const u of sample(run, k)) {
    const v = variantOf(e, u).name;
    const items = (v === 'better' ? better : worseLists).get(u)!;
    const id = `${run}-${u}`;
    imps.push(impression(id, u, items, { experiment: e.id, variant: v }));
    for (const p of taste.clicks(u, items, sessionRandom(run, `ab:${u}`)))
      credits.push({ event: `${id}-${p}`, impression: id, user: u, item: items[p]!, type: 'click', ts: 0 });
  }
  tally.add(imps, credits);
  const [w, b] = tally.result().variants;
  return {
    won: b!.clickThrough.rate > w!.clickThrough.rate,
    significant: b!.vsControl!.clickThrough.verdict === 'better',
  };
}

/** one interleaving run: each user one list merged from both rankings */
function interleaveRun(run: number, k: number, worseLists: Map<string, string[]>) {
  const e: Experiment = {
    id: `il-${run}`,
    scenario: SCENARIO,
    kind: 'interleave',
    variants: [
      { name: 'worse', ranking: 'model' },
      { name: 'better', ranking: 'model' },
    ],
    status: 'running',
    createdAt: 0,
  };
  const tally = new ExperimentTally(e, TYPES);
  const imps: Impression[] = [];
  const credits: Attribution[] = [];
  for (const u of sample(run, k)) {
    const merged = teamDraft(worseLists.get(u)!, better.get(u)!, N, sessionRandom(run, `draft:${u}`));
    const id = `${run}-${u}`;
    const imp = impression(
      id,
      u,
      merged.map((m) => m.item),
      { experiment: e.id },
    );
    imp.items.forEach((x, i) => {
      x.team = merged[i]!.team === 0 ? 'worse' : 'better';
    });
    imps.push(imp);
    for (const p of taste.clicks(
      u,
      imp.items.map((x) => x.item),
      sessionRandom(run, `il:${u}`),
    ))
      credits.push({
        event: `${id}-${p}`,
        impression: id,
        user: u,
        item: imp.items[p]!.item,
        type: 'click',
        ts: 0,
      });
  }
  tally.add(imps, credits);
  const il = tally.result().interleaving!;
  return { won: il.wins.better! > il.wins.worse!, significant: il.preference.verdict === 'better' };
}

for (const [name, lists] of Object.entries(worse)) {
  console.log(`\nmodel vs ${name}: share of ${RUNS} runs the better variant wins (significant at 95 %)`);
  console.log('users'.padStart(6), 'A/B'.padStart(16), 'interleaving'.padStart(18));
  const need: Record<string, number | undefined> = { ab: undefined, il: undefined };
  for (const k of GRID) {
    let ab = 0;
    let abSig = 0;
    let il = 0;
    let ilSig = 0;
    for (let run = 1; run <= RUNS; run++) {
      const a = abRun(run, k, lists);
      const b = interleaveRun(run, k, lists);
      ab += Number(a.won);
      abSig += Number(a.significant);
      il += Number(b.won);
      ilSig += Number(b.significant);
    }
    if (need.ab === undefined && ab / RUNS >= 0.95) need.ab = k;
    if (need.il === undefined && il / RUNS >= 0.95) need.il = k;
    const cell = (w: number, s: number) =>
      `${((100 * w) / RUNS).toFixed(0)} % (${((100 * s) / RUNS).toFixed(0)} %)`;
    console.log(String(k).padStart(6), cell(ab, abSig).padStart(16), cell(il, ilSig).padStart(18));
  }
  const say = (k: number | undefined) => (k === undefined ? `more than ${GRID[GRID.length - 1]}` : String(k));
  console.log(
    `users needed for >= 95 % wins: A/B ${say(need.ab)}, interleaving ${say(need.il)}${
      need.ab && need.il ? ` (ratio ${(need.ab / need.il).toFixed(1)})` : ''
    }`,
  );
}
