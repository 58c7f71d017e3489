/**
 * The latent model's cost on real data: training time (CPU seconds) of src/model/als.ts for each
 * number of factors on the histories of a shared dataset, and the cost of one request's fold-in and
 * of scoring every item from it.
 * Run: node --import tsx bench/als.ts --data ../shared/data/beauty/Beauty.txt --factors 16,32,64
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

const { rows, numItems } = histories();
const events = rows.reduce((s, r) => s + r.length, 0);
console.log(`${rows.length} histories, ${numItems} items, ${events} events`);
console.log('factors | train CPU s | fold-in + score every item, ms per request');
for (const factors of values.factors.split(',').map(Number)) {
  const t0 = process.cpuUsage();
  const m = trainAls(rows, numItems, { ...DEFAULT_ALS, factors, seed: 1 });
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
    `${factors} | ${train.toFixed(1)} | ${((q.user + q.system) / 1e3 / requests).toFixed(2)}${Number.isNaN(sink) ? ' (NaN)' : ''}`,
  );
}
