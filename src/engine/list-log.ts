/**
 * The rows the context lists (context-lists.ts) are ranked from: one per positive event (item,
 * time, device, hour band, user), as growable typed columns, with the devices and users coded in
 * the order first met. A `ListLog` keeps the rows of every scenario in insertion order: it is what
 * the boot snapshot (boot.ts) folds and stores, so a booting engine splits it into per-scenario
 * columns (`ContextLists.load`) instead of reading the whole event log.
 */
import type { Context } from '../core/types.ts';
import { type HourBand, hourBandOf, hourOf } from '../model/context.ts';

export const BAND_CODES: Record<HourBand, number> = { night: 0, morning: 1, afternoon: 2, evening: 3 };

/** growable columns of positive events */
export class Columns {
  len = 0;
  item = new Int32Array(64);
  ts = new Float64Array(64);
  device = new Int32Array(64);
  band = new Int8Array(64);
  user = new Int32Array(64);

  push(item: number, ts: number, device: number, band: number, user: number): void {
    if (this.len === this.item.length) this.grow(Math.max(64, this.len * 2));
    const i = this.len++;
    this.item[i] = item;
    this.ts[i] = ts;
    this.device[i] = device;
    this.band[i] = band;
    this.user[i] = user;
  }

  private grow(size: number): void {
    const grow = <T extends Int32Array | Float64Array | Int8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a.subarray(0, this.len));
      return b;
    };
    this.item = grow(this.item, (n) => new Int32Array(n));
    this.ts = grow(this.ts, (n) => new Float64Array(n));
    this.device = grow(this.device, (n) => new Int32Array(n));
    this.band = grow(this.band, (n) => new Int8Array(n));
    this.user = grow(this.user, (n) => new Int32Array(n));
  }

  /** drops the rows `drop` says so, keeping the order of the rest; returns how many were dropped */
  filter(drop: (row: number) => boolean): number {
    let w = 0;
    for (let r = 0; r < this.len; r++) {
      if (drop(r)) continue;
      this.item[w] = this.item[r]!;
      this.ts[w] = this.ts[r]!;
      this.device[w] = this.device[r]!;
      this.band[w] = this.band[r]!;
      this.user[w] = this.user[r]!;
      w++;
    }
    const dropped = this.len - w;
    this.len = w;
    return dropped;
  }
}

/** names coded in the order first met (devices, users); a forgotten name's code is not reused */
export class Codes {
  readonly map = new Map<string, number>();
  private next = 0;

  /** `names[code]`, null where a code was forgotten */
  constructor(names: readonly (string | null)[] = []) {
    for (const n of names) {
      if (n !== null) this.map.set(n, this.next);
      this.next++;
    }
  }

  /** the name's code, made if new; -1 for none */
  of(name: string | undefined): number {
    if (name === undefined) return -1;
    let v = this.map.get(name);
    if (v === undefined) {
      v = this.next++;
      this.map.set(name, v);
    }
    return v;
  }

  forget(name: string): number | undefined {
    const v = this.map.get(name);
    this.map.delete(name);
    return v;
  }

  /** names by code, null for a forgotten one */
  names(): (string | null)[] {
    const out: (string | null)[] = new Array(this.next).fill(null);
    for (const [n, v] of this.map) out[v] = n;
    return out;
  }
}

/** the positive events of every scenario, in insertion order */
export class ListLog {
  readonly rows: Columns;
  readonly devices: Codes;
  readonly users: Codes;

  constructor(from?: {
    rows: Columns;
    devices: readonly (string | null)[];
    users: readonly (string | null)[];
  }) {
    this.rows = from?.rows ?? new Columns();
    this.devices = new Codes(from?.devices);
    this.users = new Codes(from?.users);
  }

  add(item: number, user: string, ts: number, context: Context | undefined): void {
    this.rows.push(
      item,
      ts,
      this.devices.of(context?.device),
      BAND_CODES[hourBandOf(hourOf(context, ts))],
      this.users.of(user),
    );
  }
}
