/** Small pieces the baselines share: training views of EvalData, history weights, a grid search. */
import type { EvalData, EvalInteraction, FitOptions } from '../types.ts';

/** Each training user's distinct items, most recent occurrence last. */
export function trainSequences(data: EvalData): number[][] {
  return data.users.map((u) => dedupeKeepLast(u.train));
}

export function dedupeKeepLast(history: readonly EvalInteraction[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (let p = history.length - 1; p >= 0; p--) {
    const item = history[p]!.item;
    if (seen.has(item)) continue;
    seen.add(item);
    out.push(item);
  }
  return out.reverse();
}

/** Number of training interactions per item. */
export function interactionCounts(data: EvalData): Float32Array {
  const counts = new Float32Array(data.itemIds.length);
  for (const u of data.users) for (const e of u.train) counts[e.item]! += 1;
  return counts;
}

/**
 * Recency weights of a history's distinct items: the most recent gets 1, the one before `decay`,
 * then `decay^2`, ... (decay 1 = all equal).
 */
export function recencyWeighted(
  history: readonly EvalInteraction[],
  decay: number,
): { item: number; w: number }[] {
  const items = dedupeKeepLast(history);
  const out: { item: number; w: number }[] = [];
  let w = 1;
  for (let p = items.length - 1; p >= 0; p--) {
    out.push({ item: items[p]!, w });
    w *= decay;
    if (w < 1e-6) break;
  }
  return out;
}

/** Cartesian product of a grid of named values. */
export function gridOf<T extends Record<string, readonly unknown[]>>(
  grid: T,
): { [K in keyof T]: T[K][number] }[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    out = out.flatMap((o) => values.map((v) => ({ ...o, [key]: v })));
  }
  return out as { [K in keyof T]: T[K][number] }[];
}

/**
 * Lets pending events (SIGINT, progress output) run: model code is synchronous number crunching,
 * and an abort signal is only seen once the event loop gets a turn.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Tries every setting on the valid objective and keeps the best (first one wins ties, so list the
 * simplest setting first). Reports progress and honours the abort signal between settings.
 */
export async function tune<P>(
  name: string,
  settings: readonly P[],
  evaluate: (p: P) => number,
  opts: FitOptions,
): Promise<{ best: P; score: number; tried: number }> {
  let best: P = settings[0]!;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const [i, p] of settings.entries()) {
    await yieldToEventLoop();
    opts.signal?.throwIfAborted();
    const s = evaluate(p);
    if (s > bestScore) {
      bestScore = s;
      best = p;
    }
    opts.onProgress?.(i + 1, settings.length, `${name} tuning`);
  }
  return { best, score: bestScore, tried: settings.length };
}
