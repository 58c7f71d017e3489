/**
 * Popular and trending lists per scenario, kept current as events arrive: counts change at once,
 * the sorted lists are rebuilt lazily on the next request that reads them.
 */
export class RankedCounts {
  private lists: number[][] = [];
  private dirty = true;

  constructor(
    private counts: Float32Array,
    private readonly scenarioItems: () => readonly Int32Array[],
  ) {}

  bump(item: number, by = 1): void {
    if (item >= this.counts.length) {
      const grown = new Float32Array(Math.max(item + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[item]! += by;
    this.dirty = true;
  }

  invalidate(): void {
    this.dirty = true;
  }

  list(code: number): readonly number[] {
    if (this.dirty) {
      this.lists = this.scenarioItems().map((items) =>
        Array.from(items)
          .filter((i) => (this.counts[i] ?? 0) > 0)
          .sort((a, b) => this.counts[b]! - this.counts[a]! || a - b),
      );
      this.dirty = false;
    }
    return this.lists[code] ?? [];
  }
}
