/**
 * The per-scenario EASE model inverted block by block against the whole masked Gram matrix
 * (the way buildEase inverted it before): CPU seconds of each on a synthetic Gram of `--items`
 * items in two scenarios (`--share` of them in the first, interleaved by popularity as
 * food-kitchen's are), and the largest difference of the inverses (rounding only: the blocked
 * inversion's panels fall on other pivots).
 * Run: node --import tsx bench/ease-blocks.ts --items 1000 --share 0.45
 */
import { parseArgs } from 'node:util';
import { invertSpd } from '../src/model/ease.ts';

const { values } = parseArgs({
  options: { items: { type: 'string', default: '1000' }, share: { type: 'string', default: '0.45' } },
});
const m = Number(values.items);
const share = Number(values.share);
let x = 11;
const rnd = () => {
  x = (x * 1103515245 + 12345) % 2147483648;
  return x / 2147483648;
};
const scenario = Array.from({ length: m }, () => (rnd() < share ? 0 : 1));
// a Gram-like matrix: co-counts within a scenario, a dominant diagonal (lambda and own counts)
const g = new Float64Array(m * m);
for (let a = 0; a < m; a++)
  for (let b = a; b < m; b++) {
    if (scenario[a] !== scenario[b]) continue;
    const v = a === b ? 50 + 200 * rnd() : rnd() < 0.05 ? Math.floor(rnd() * 5) : 0;
    g[a * m + b] = v;
    g[b * m + a] = v;
  }
const cpu = (f: () => void) => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
};
const whole = Float64Array.from(g);
const wholeS = cpu(() => invertSpd(whole, m));
const blocks = [0, 1].map((s) => scenario.flatMap((sc, p) => (sc === s ? [p] : [])));
let maxDiff = 0;
const blockS = cpu(() => {
  for (const block of blocks) {
    const n = block.length;
    const sub = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) sub[a * n + b] = g[block[a]! * m + block[b]!]!;
    invertSpd(sub, n);
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++)
        maxDiff = Math.max(maxDiff, Math.abs(sub[a * n + b]! - whole[block[a]! * m + block[b]!]!));
  }
});
console.log(
  `items ${m} (${blocks[0]!.length} + ${blocks[1]!.length}): whole masked ${wholeS.toFixed(2)} s CPU, by block ${blockS.toFixed(2)} s CPU (${(blockS / wholeS).toFixed(2)} x), largest difference ${maxDiff}`,
);
