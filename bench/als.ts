/**
 * The latent model's cost on real data: training time (CPU seconds) of src/model/als.ts for each
 * number of factors on the histories of a shared dataset, and the cost of one request's fold-in and
 * of scoring every item from it, and the held-out quality of the factors: each history's last item
 * is held out of training and ranked over the whole catalogue from the fold-in of the rest (NDCG@10
 * over a seeded sample of 2,000 histories), so the exact and the conjugate-gradient solvers can be
 * compared on cost and quality side by side.
 * Run: node --import tsx bench/als.ts --data ../shared/data/beauty/Beauty.txt --factors 16,32,64 --cg 0,3
 * (a file of `user item item ...` lines, as Beauty.txt; with --food-kitchen DIR the training files
 * of food-kitchen are read instead).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { alsScore, DEFAULT_ALS, foldIn, trainAls } from '../src/model/als.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    'food-kitchen': { type: 'string' },
    factors: { type: 'string', default: '16,32,64' },
    cg: { type: 'string', default: '0' },
  },
});

function histories(): { rows: number[][]; numItems: number } {
  const lines: string[][] = [];
  if (values['food-kitchen']) {
    for (const f of ['train_A.txt', 'train_B.txt', 'train_overlap.txt'])
      for (const l of readFileSync(join(values['food-kitchen'], f), 'utf8').split('\n'))
        if (l.trim()) lines.push(l.split('\t')[1]!.split(','));
  } else if (values.data) {
    for (const l of readFileSync(values.data, 'utf8').split('\n'))
      if (l.trim()) lines.push(l.split(' ').slice(1));
  } else throw new Error('give --data FILE or --food-kitchen DIR');
  const index = new Map<string, number>();
  const rows = lines.map((ids) =>
    ids.map((id) => {
      const known = index.get(id);
      if (known !== undefined) return known;
      index.set(id, index.size);
      return index.size - 1;
    }),
  );
  return { rows, numItems: index.size };
}

const { rows: all, numItems } = histories();
const events = all.reduce((s, r) => s + r.length, 0);
console.log(`${all.length} histories, ${numItems} items, ${events} events`);
// each history's last item held out (histories of one item stay whole and are not evaluated)
const rows = all.map((r) => (r.length > 1 ? r.slice(0, -1) : r));
const evalRows: number[] = [];
for (let u = 0; u < all.length && evalRows.length < 2000; u += Math.max(1, Math.floor(all.length / 2000)))
  if (all[u]!.length > 1) evalRows.push(u);

/** NDCG@10 of the held-out items, ranked over every item not in the rest of the history */
function heldOut(m: ReturnType<typeof trainAls>): number {
  let sum = 0;
  for (const u of evalRows) {
    const hist = rows[u]!;
    const target = all[u]![all[u]!.length - 1]!;
    const user = foldIn(m, hist);
    const seen = new Set(hist);
    const t = alsScore(m, user, target);
    let above = 0;
    for (let i = 0; i < numItems && above < 10; i++)
      if (i !== target && !seen.has(i) && alsScore(m, user, i) > t) above++;
    if (above < 10) sum += 1 / Math.log2(above + 2);
  }
  return sum / evalRows.length;
}

console.log(
  'factors | cg steps | train CPU s | held-out NDCG@10 | fold-in + score every item, ms per request',
);
for (const factors of values.factors.split(',').map(Number))
  for (const cgSteps of values.cg.split(',').map(Number)) run(factors, cgSteps);

function run(factors: number, cgSteps: number): void {
  const t0 = process.cpuUsage();
  const m = trainAls(rows, numItems, { ...DEFAULT_ALS, factors, cgSteps, seed: 1 });
  const t = process.cpuUsage(t0);
  const train = (t.user + t.system) / 1e6;
  const q0 = process.cpuUsage();
  const requests = 200;
  let sink = 0;
  for (let r = 0; r < requests; r++) {
    const u = foldIn(m, rows[(r * 7919) % rows.length]!);
    for (let i = 0; i < numItems; i++) sink += alsScore(m, u, i);
  }
  const q = process.cpuUsage(q0);
  console.log(
    `${factors} | ${cgSteps || 'exact'} | ${train.toFixed(1)} | ${heldOut(m).toFixed(4)} | ${((q.user + q.system) / 1e3 / requests).toFixed(2)}${Number.isNaN(sink) ? ' (NaN)' : ''}`,
  );
}
