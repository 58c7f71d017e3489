/** Latency of the last `capacity` requests per route, for the system page's percentiles. */
export class LatencyRecorder {
  private readonly rings = new Map<string, { values: Float64Array; next: number; count: number }>();
  private readonly started = Date.now();
  private total = 0;

  constructor(private readonly capacity = 4096) {}

  record(route: string, ms: number): void {
    let r = this.rings.get(route);
    if (!r) {
      r = { values: new Float64Array(this.capacity), next: 0, count: 0 };
      this.rings.set(route, r);
    }
    r.values[r.next] = ms;
    r.next = (r.next + 1) % this.capacity;
    r.count++;
    this.total++;
  }

  snapshot(): {
    uptimeS: number;
    requests: number;
    routes: { route: string; count: number; p50: number; p95: number; p99: number; max: number }[];
  } {
    const routes = [...this.rings.entries()].map(([route, r]) => {
      const n = Math.min(r.count, this.capacity);
      const sorted = r.values.slice(0, n).sort();
      const q = (p: number) => round(sorted[Math.min(n - 1, Math.floor(p * n))] ?? 0);
      return {
        route,
        count: r.count,
        p50: q(0.5),
        p95: q(0.95),
        p99: q(0.99),
        max: round(sorted[n - 1] ?? 0),
      };
    });
    routes.sort((a, b) => b.count - a.count);
    return { uptimeS: Math.round((Date.now() - this.started) / 1000), requests: this.total, routes };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
