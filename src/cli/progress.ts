/**
 * Progress of the long commands (import, encode, train) on stderr: a bar on a terminal, a plain
 * line now and then elsewhere. What it shows never goes backwards, never passes the total, and
 * has an estimate of the time left only once there is a rate to base it on.
 */
import { SingleBar } from 'cli-progress';

/** no estimate before this much time and this share of the work have passed */
const ETA_AFTER_MS = 1000;
const ETA_AFTER_FRACTION = 0.01;

/** "8 s", "3 min 05 s", "1 h 07 min" */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export interface Reading {
  value: number;
  total: number;
  /** in [0, 1] */
  fraction: number;
  /** seconds left, undefined until known */
  eta: number | undefined;
}

/** The numbers behind a progress display: monotonic, clamped to the total, the rate measured. */
export class ProgressMeter {
  private value = 0;
  private total = 0;
  private start: { at: number; value: number } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  read(done: number, total: number): Reading {
    if (Number.isFinite(total) && total > 0) {
      // a smaller total than the work already shown is a new count: start it afresh
      if (total < this.value) {
        this.value = 0;
        this.start = undefined;
      }
      this.total = total;
    }
    const d = Number.isFinite(done) ? done : 0;
    // without a total (a count of unknown length) the count itself is shown
    const clamped = this.total > 0 ? Math.min(this.total, d) : d;
    if (clamped > this.value) this.value = clamped;
    const t = this.now();
    // the rate counts from the first reading, so a resumed job's earlier work does not inflate it
    this.start ??= { at: t, value: this.value };
    const fraction = this.total > 0 ? this.value / this.total : 0;
    const elapsed = t - this.start.at;
    const gained = this.value - this.start.value;
    const eta =
      elapsed >= ETA_AFTER_MS && gained > 0 && fraction >= ETA_AFTER_FRACTION && this.value < this.total
        ? ((this.total - this.value) * elapsed) / gained / 1000
        : undefined;
    return { value: this.value, total: this.total, fraction, eta };
  }
}

export interface ProgressReporter {
  /** `detail` replaces the default `done/total`; a new `label` starts a new bar (a new phase) */
  update(done: number, total: number, detail?: string, label?: string): void;
  stop(): void;
}

/**
 * A bar on a terminal; elsewhere (CI, pipes, tests) a line at most every `plainEveryMs`, and one
 * when the work is complete.
 */
export function progressReporter(
  label: string,
  opts: { plainEveryMs?: number; stream?: NodeJS.WriteStream } = {},
): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  let phase = label;
  let meter = new ProgressMeter();
  const text = (r: Reading, detail: string | undefined) => ({
    detail: detail ?? (r.total > 0 ? `${r.value}/${r.total}` : `${r.value}`),
    eta: r.eta === undefined ? '' : ` | eta ${formatDuration(r.eta)}`,
  });
  if (stream.isTTY) {
    let bar: SingleBar | undefined;
    const stop = () => {
      bar?.stop();
      bar = undefined;
    };
    return {
      update(done, total, detail, next) {
        if (next !== undefined && next !== phase) {
          stop();
          phase = next;
          meter = new ProgressMeter();
        }
        const r = meter.read(done, total);
        if (r.total <= 0) return;
        const t = text(r, detail);
        if (!bar) {
          bar = new SingleBar({
            stream,
            format: `${phase} [{bar}] {percentage}% | {detail}{etaText}`,
            hideCursor: true,
          });
          bar.start(r.total, r.value, { detail: t.detail, etaText: t.eta });
          return;
        }
        if (bar.getTotal() !== r.total) bar.setTotal(r.total);
        bar.update(r.value, { detail: t.detail, etaText: t.eta });
      },
      stop,
    };
  }
  const every = opts.plainEveryMs ?? 500;
  let last = 0;
  let complete = false;
  return {
    update(done, total, detail, next) {
      if (next !== undefined && next !== phase) {
        phase = next;
        meter = new ProgressMeter();
        last = 0;
        complete = false;
      }
      const r = meter.read(done, total);
      const finished = r.total > 0 && r.value >= r.total;
      const now = Date.now();
      if (complete || (!finished && now - last < every)) return;
      last = now;
      complete = finished;
      const t = text(r, detail);
      const pct = r.total > 0 ? ` (${Math.floor(r.fraction * 100)}%${t.eta})` : '';
      stream.write(`${phase}: ${t.detail}${pct}\n`);
    },
    stop() {},
  };
}
