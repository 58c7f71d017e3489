/**
 * What bench/load.ts measures with: autocannon runs with the CPU the server and the load generator
 * spent on them (read from /proc), their one-line report, and seeded Zipf traffic.
 */
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** CPU milliseconds so far of a process (all its threads: JS, GC helpers, libuv), from /proc */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command's closing parenthesis: state is field 3, utime 14, stime 15
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // in clock ticks of 1/100 s (CLK_TCK on Linux)
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {}
  }
  return out;
}

export type Measured = autocannon.Result & { cpu?: { server: number; generator: number } };

/** one autocannon run, with the CPU the server and this process (the load generator) spent on it */
export async function run(opts: autocannon.Options, pids: readonly number[]): Promise<Measured> {
  const s0 = pids.reduce((t, p) => t + cpuMsOf(p), 0);
  const g0 = process.cpuUsage();
  const result: Measured = await new Promise((resolve, reject) => {
    autocannon(opts, (err, r) => (err ? reject(err) : resolve(r)));
  });
  const g = process.cpuUsage(g0);
  if (pids.length > 0)
    result.cpu = {
      server: pids.reduce((t, p) => t + cpuMsOf(p), 0) - s0,
      generator: (g.user + g.system) / 1000,
    };
  return result;
}

export function report(name: string, r: Measured | undefined, unit = 1) {
  if (!r) return;
  const l = r.latency;
  const errors = r.errors + r.timeouts + (r.non2xx ?? 0);
  // CPU per request does not depend on how busy the machine is the way req/s and latency do
  const cpu = r.cpu
    ? `; CPU ms per request: server ${(r.cpu.server / r.requests.total).toFixed(3)}, load generator ${(r.cpu.generator / r.requests.total).toFixed(3)}`
    : '';
  console.log(
    `${name}: ${(r.requests.average * unit).toFixed(0)} ${unit === 1 ? 'req' : 'events'}/s ` +
      `(${r.requests.total} requests in ${r.duration} s, ${errors} errors/non-2xx); ` +
      `latency ms p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} max ${l.max}${cpu}`,
  );
}

/** a seeded scramble of k (murmur3's finaliser) */
export function mix(k: number, salt: number): number {
  let h = Math.imul(k ^ Math.imul(salt, 0x9e3779b9), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** `count` draws from `pool` with P(rank r) proportional to 1 / r^s (seeded) */
export function zipfSample<T>(pool: readonly T[], count: number, s: number, seed: number): T[] {
  const cdf = new Float64Array(pool.length);
  let total = 0;
  for (let r = 0; r < pool.length; r++) {
    total += 1 / (r + 1) ** s;
    cdf[r] = total;
  }
  let x = seed >>> 0;
  const out: T[] = [];
  for (let k = 0; k < count; k++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const u = (x / 2 ** 32) * total;
    let lo = 0;
    let hi = pool.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out.push(pool[lo]!);
  }
  return out;
}
