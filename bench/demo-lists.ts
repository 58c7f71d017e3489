/**
 * The lists the real engine serves the demo's users, per experiment variant, and the demo's taste
 * model that says how each user clicks (src/demo/simulate.ts): what bench/experiments.ts and
 * bench/replay.ts simulate traffic from. The engine is trained as `fusionrec train` trains, with no
 * text vectors; each variant's lists come through the engine's experiment path (a one-variant A/B).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.ts';
import { writeDemo } from '../src/demo/build.ts';
import { generateDemo } from '../src/demo/generate.ts';
import { type TasteModel, type TasteModelOptions, tasteModel } from '../src/demo/simulate.ts';
import { createEngine } from '../src/engine/create.ts';
import type { Variant } from '../src/engine/experiments.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { trainFromStore } from '../src/train/train.ts';

export interface DemoLists {
  users: string[];
  /** the demo's users and items, for taste models with other options */
  data: Parameters<typeof tasteModel>[0];
  taste: TasteModel;
  /** per variant label: each user's list */
  lists: Record<string, Map<string, string[]>>;
}

export async function demoLists(opts: {
  pool: number;
  scenario: string;
  n: number;
  variants: Record<string, Omit<Variant, 'name' | 'share'>>;
  taste?: TasteModelOptions;
}): Promise<DemoLists> {
  const dir = mkdtempSync(join(tmpdir(), 'fusionrec-bench-lists-'));
  try {
    const store = new SqliteStore(join(dir, 'demo.db'));
    const demo = { users: opts.pool, now: Date.UTC(2026, 0, 15, 12) };
    await writeDemo(store, demo);
    const config = parseConfig({
      store: { url: `sqlite://${join(dir, 'demo.db')}` },
      seq: { enabled: false },
      feedback: { impressions: false },
    });
    await trainFromStore(store, config, {});
    const engine = await createEngine(config, { store, encoder: null });
    const data = generateDemo(demo);
    const users = data.users.map((u) => u.id);
    const lists: Record<string, Map<string, string[]>> = {};
    for (const [label, variant] of Object.entries(opts.variants)) {
      const id = `lists-${label.replace(/[^a-z0-9]+/gi, '-')}`;
      await engine.experiments!.create({
        id,
        scenario: opts.scenario,
        kind: 'ab',
        variants: [
          { name: 'only', share: 1, ...variant },
          { name: 'never', share: 0 },
        ],
      });
      const m = new Map<string, string[]>();
      for (const u of users)
        m.set(
          u,
          (await engine.recommend({ user: u, scenario: opts.scenario, n: opts.n })).items.map((r) => r.item),
        );
      await engine.experiments!.stop(id);
      lists[label] = m;
    }
    await engine.close();
    return { users, data, taste: tasteModel(data, opts.taste), lists };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
