/**
 * EASE's matrix inversion: the blocked sweep of src/model/ease.ts (`invertSpd`) against plain
 * pivot-by-pivot Gauss-Jordan (the reference below), side by side on the same Gram-like SPD matrix
 * of each size: CPU seconds of each and the largest difference of the two inverses.
 * Run: node --import tsx bench/ease-invert.ts --items 1000,2000,4000
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../src/core/rng.ts';
import { invertSpd } from '../src/model/ease.ts';

const { values } = parseArgs({ options: { items: { type: 'string', default: '1000,2000' } } });
const sizes = values.items.split(',').map(Number);

/** Gauss-Jordan in place, one pivot at a time: every pivot streams the whole matrix */
function referenceInvert(a: Float64Array, m: number): void {
  for (let k = 0; k < m; k++) {
    const rowk = a.subarray(k * m, (k + 1) * m);
    const inv = 1 / rowk[k]!;
    for (let j = 0; j < m; j++) rowk[j]! *= inv;
    rowk[k] = inv;
    for (let i = 0; i < m; i++) {
      if (i === k) continue;
      const rowi = a.subarray(i * m, (i + 1) * m);
      const f = rowi[k]!;
      if (f === 0) continue;
      for (let j = 0; j < m; j++) rowi[j]! -= f * rowk[j]!;
      rowi[k] = -f * inv;
    }
  }
}

const rnd = seededRandom(7);
/** co-counts of `m` items over synthetic users, plus lambda on the diagonal */
function gram(m: number): Float64Array {
  const g = new Float64Array(m * m);
  for (let u = 0; u < 5 * m; u++) {
    const items = Array.from({ length: 3 + Math.floor(rnd() * 12) }, () => Math.floor(m * rnd() ** 2));
    for (const a of new Set(items)) for (const b of new Set(items)) g[a * m + b]! += 1;
  }
  for (let i = 0; i < m; i++) g[i * m + i]! += 100;
  return g;
}
const cpu = (f: () => void) => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e6;
};

for (const m of sizes) {
  const g = gram(m);
  const blocked = Float64Array.from(g);
  const plain = Float64Array.from(g);
  const blockedS = cpu(() => invertSpd(blocked, m));
  const plainS = cpu(() => referenceInvert(plain, m));
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < m * m; i++) {
    diff = Math.max(diff, Math.abs(blocked[i]! - plain[i]!));
    scale = Math.max(scale, Math.abs(plain[i]!));
  }
  console.log(
    `items ${m}: blocked sweep ${blockedS.toFixed(2)} s CPU, Gauss-Jordan ${plainS.toFixed(2)} s CPU (${(plainS / blockedS).toFixed(1)} x), largest difference ${diff.toExponential(2)} (largest entry ${scale.toExponential(2)})`,
  );
}
