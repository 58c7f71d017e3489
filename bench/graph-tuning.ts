/**
 * What the graph tuning pays per shrinkage candidate on food-kitchen's training sequences: counting
 * the pairs (once since the counts are shared) against normalising them into graphs (once per
 * candidate), CPU seconds. Run: node --import tsx bench/graph-tuning.ts --data ../shared/data/food-kitchen
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countPairs, DEFAULT_GRAPH_OPTIONS, graphsOf } from '../src/model/graph.ts';

const { values } = parseArgs({
  options: { data: { type: 'string', default: '../shared/data/food-kitchen' } },
});
const dir = values.data!;
const food = new Set<number>();
for (const line of readFileSync(join(dir, 'items.tsv'), 'utf8').split('\n').slice(1)) {
  const [id, domain] = line.split('\t');
  if (domain === 'food') food.add(Number(id));
}
const sequences = ['train_A.txt', 'train_B.txt', 'train_overlap.txt'].flatMap((f) =>
  readFileSync(join(dir, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[1]!.split(',').map(Number)),
);
const numItems = 36298;
const scenarioOf = (i: number) => (food.has(i) ? 'food' : 'kitchen');
const cpu = <T>(f: () => T): [T, number] => {
  const t = process.cpuUsage();
  const r = f();
  const d = process.cpuUsage(t);
  return [r, (d.user + d.system) / 1e6];
};
const opts = { ...DEFAULT_GRAPH_OPTIONS, easeItems: 0 };
const [pc, countS] = cpu(() => countPairs(sequences, numItems, scenarioOf, opts));
const [, graphS] = cpu(() => graphsOf(pc, sequences, scenarioOf, { ...opts, shrink: 20 }));
const [, aloneS] = cpu(() =>
  graphsOf(pc, sequences, scenarioOf, { ...opts, shrink: 20, crossScenario: false }),
);
console.log(
  `${sequences.length} sequences: count pairs ${countS.toFixed(1)} s CPU, graphs of the counts ${graphS.toFixed(1)} s (fused), ${aloneS.toFixed(1)} s (each scenario alone)`,
);
