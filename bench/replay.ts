/**
 * Whole-list replay on simulated logs: how often the interval `fusionrec replay` gives for a
 * candidate ranking covers the candidate's true clicks per list, over seeded runs.
 *   npm run bench:replay [-- --pool 1100 --runs 50 --lists 20000 --epsilon 0.3 --top 50]
 * The logging policy is the engine's ranking on demo data (bench/demo-lists.ts) randomized by the
 * shipped `feedback.randomize` policy (engine/randomize.ts); users drawn uniformly from the pool
 * click by the demo taste model (src/demo/simulate.ts, a position-based model). Candidates are
 * other engine settings (milder and stronger MMR, fusion off) and a worst-first ranking, whose
 * items the log cannot support. The truth is a candidate's expected clicks per list under the
 * taste model over the pool. Prints numbers; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/core/rng.ts';
import { tasteModel } from '../src/demo/simulate.ts';
import { marginal, randomize } from '../src/engine/randomize.ts';
import { type ListEstimate, type ListSample, listSnips } from '../src/engine/replay-lists.ts';
import { demoLists } from './demo-lists.ts';

const { values: args } = parseArgs({
  options: {
    pool: { type: 'string', default: '1100' },
    runs: { type: 'string', default: '50' },
    lists: { type: 'string', default: '20000' },
    epsilon: { type: 'string', default: '0.3' },
    top: { type: 'string', default: '50' },
    n: { type: 'string', default: '10' },
    scenario: { type: 'string', default: 'shop' },
    activity: { type: 'string', default: '0' },
  },
});
const RUNS = Number(args.runs);
const LISTS = Number(args.lists);
const N = Number(args.n);
const rule = { epsilon: Number(args.epsilon), top: Number(args.top), seed: 0 };

const { users, data, lists } = await demoLists({
  pool: Number(args.pool),
  scenario: args.scenario,
  // deep enough for the shuffle's pool; candidates are cut to N
  n: Math.max(rule.top, N),
  variants: {
    logging: { ranking: 'model' },
    'diversity 0.3': { ranking: 'model', diversity: 0.3 },
    'diversity 0.5': { ranking: 'model', diversity: 0.5 },
    'diversity 1': { ranking: 'model', diversity: 1 },
    'fusion off': { ranking: 'model', fusion: false },
    reversed: { ranking: 'reversed' },
  },
});
const taste = tasteModel(data, { activity: Number(args.activity) });
const logging = lists.logging!;
const truth = (m: Map<string, string[]>) =>
  users.reduce((s, u) => s + taste.expectedClicks(u, m.get(u)!.slice(0, N)), 0) / users.length;

console.log(
  `pool ${users.length} users, ${LISTS} logged lists a run, ${RUNS} runs; logging: the model's ranking, shuffled over its top ${rule.top} in ${100 * rule.epsilon} % of answers; lists of ${N}`,
);
console.log(
  `expected clicks per list: the ranking ${truth(logging).toFixed(3)}; what the log shows on average is below (the shuffled answers)`,
);
const header = ['candidate', 'truth', 'mean est.', 'covered', 'refused', 'mean ESS', 'support', 'mean ±'];
console.log(header.map((h, i) => (i === 0 ? h.padEnd(16) : h.padStart(10))).join(''));

/** each run's samples for every candidate, from one simulated log */
function run(seed: number, candidates: [string, Map<string, string[]>][]): Map<string, ListSample[]> {
  const rng = seededRandom(seed * 2654435761);
  const out = new Map(candidates.map(([name]) => [name, [] as ListSample[]]));
  let clicks = 0;
  for (let i = 0; i < LISTS; i++) {
    const u = users[Math.floor(rng() * users.length)]!;
    const ranked = logging.get(u)!;
    const r = randomize(ranked, N, { ...rule, seed }, `${seed}-${i}`);
    const items = r.order.map((j) => ranked[j]!);
    const clicked = new Set(taste.clicks(u, items, rng));
    clicks += clicked.size;
    const shown = items.map((item, k) => ({
      item,
      propensity: r.propensity[k]!,
      clicked: clicked.has(k),
      explored: false,
    }));
    const support = (item: string, k: number) => marginal(r.logged, item, k);
    for (const [name, m] of candidates)
      out.get(name)!.push({ shown, candidate: m.get(u)!.slice(0, N), support });
  }
  observed.push(clicks / LISTS);
  return out;
}

const observed: number[] = [];
const candidates = Object.entries(lists);
const results = new Map(candidates.map(([name]) => [name, [] as ListEstimate[]]));
for (let seed = 1; seed <= RUNS; seed++)
  for (const [name, samples] of run(seed, candidates)) results.get(name)!.push(listSnips(samples));
for (const [name, m] of candidates) {
  const want = truth(m);
  const rs = results.get(name)!;
  const ok = rs.filter((r) => r.supported);
  const covered = ok.filter((r) => r.low <= want && want <= r.high).length;
  const avg = (f: (r: ListEstimate) => number, xs: ListEstimate[]) =>
    xs.length ? xs.reduce((s, r) => s + f(r), 0) / xs.length : Number.NaN;
  const row = [
    want.toFixed(3),
    avg((r) => (r.supported ? r.estimate : 0), ok).toFixed(3),
    `${covered}/${ok.length}`,
    String(rs.length - ok.length),
    avg((r) => r.effective, rs).toFixed(0),
    `${(100 * avg((r) => r.support, rs)).toFixed(1)} %`,
    avg((r) => (r.supported ? (r.high - r.low) / 2 : 0), ok).toFixed(3),
  ];
  console.log(name.padEnd(16) + row.map((c) => c.padStart(10)).join(''));
  const refusal = rs.find((r) => !r.supported);
  if (refusal && !refusal.supported) console.log(`  refused: ${refusal.reason}`);
}
console.log(
  `clicks per logged list (what the randomized logging policy earned): ${(observed.reduce((s, x) => s + x, 0) / observed.length).toFixed(3)}`,
);
