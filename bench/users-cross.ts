/**
 * The cross-scenario user matching (src/model/users.ts, the `usersCross` feature) on food-kitchen:
 * the time to keep the users active in both scenarios, the time of one request's matching (ms,
 * p50 / p99), and the quality of the feature alone for users new to the target scenario: each
 * valid or test user's target ranked among the target scenario's items by `usersCross` from the
 * user's entries in the other scenario (their entries in the target's removed), NDCG@10 per
 * scenario, for each number of neighbours.
 * Run: node --import tsx bench/users-cross.ts --data ../shared/data/food-kitchen --neighbours 20,50,200,1000
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCrossUsers, crossUserScores } from '../src/model/users.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/food-kitchen' },
    neighbours: { type: 'string', default: '20,50,200,1000' },
    split: { type: 'string', default: 'valid' },
  },
});
const dir = values.data!;
const code = new Map<string, number>();
const scenarioCodes: number[] = [];
for (const line of readFileSync(join(dir, 'items.tsv'), 'utf8').split('\n').slice(1)) {
  const [id, domain] = line.split('\t');
  if (!id || !domain) continue;
  if (!code.has(domain)) code.set(domain, code.size);
  scenarioCodes[Number(id)] = code.get(domain)!;
}
const scenarioCode = Uint16Array.from(scenarioCodes);
const scenarioOf = (i: number) => String(scenarioCode[i]);
const read = (f: string) =>
  readFileSync(join(dir, f), 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t')[1]!.split(',').map(Number));
const train = ['train_A.txt', 'train_B.txt', 'train_overlap.txt'].flatMap(read);
const cases = read(`${values.split}.txt`);

let t = performance.now();
const kept = buildCrossUsers(train, scenarioOf, 1)!;
console.log(
  `${train.length} training histories; kept ${kept.rows.offsets.length - 1} users active in both scenarios in ${(performance.now() - t).toFixed(0)} ms`,
);
const names = [...code.keys()];
for (const k of values.neighbours!.split(',').map(Number)) {
  const users = { ...kept, neighbours: k };
  const sums = names.map(() => ({ n: 0, ndcg: 0 }));
  const times: number[] = [];
  for (const c of cases) {
    const target = c.at(-1)!;
    const tc = scenarioCode[target]!;
    const other = c.slice(0, -1).filter((i) => scenarioCode[i] !== tc);
    if (other.length === 0) continue;
    t = performance.now();
    const s = crossUserScores(users, scenarioCode, other, tc);
    times.push(performance.now() - t);
    // rank: items scored above the target (unscored items tie at 0 below every scored one)
    const mine = s.get(target) ?? 0;
    let above = 0;
    for (const v of s.values()) if (v > mine) above++;
    const rank = mine > 0 ? above : Number.POSITIVE_INFINITY;
    sums[tc]!.n++;
    sums[tc]!.ndcg += rank < 10 ? 1 / Math.log2(rank + 2) : 0;
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(3);
  const per = names.map(
    (name, i) => `${name} ${(sums[i]!.ndcg / Math.max(1, sums[i]!.n)).toFixed(4)} (${sums[i]!.n})`,
  );
  console.log(`neighbours ${k}: NDCG@10 ${per.join(', ')}; matching p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
}
