/**
 * A fingerprint of what the engine serves: the top 10 of `--users` users of a store in every
 * scenario (default request: no context, default diversity), hashed twice: the item ids in order,
 * and the ids with their scores rounded to 6 digits. Two builds that serve the same answers print
 * the same hashes; used to show that a refactoring changed nothing.
 *   node --import tsx bench/answers.ts --db fk.db [--config train.json] [--users 400] [--no-text] [--dump answers.jsonl]
 * Prints numbers; asserts nothing.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { createEncoder } from '../src/encode/create.ts';
import { createEngine } from '../src/engine/create.ts';
import { SqliteStore } from '../src/store/sqlite.ts';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    users: { type: 'string', default: '400' },
    // the config the store was trained with (its train section is part of the model's stamp)
    config: { type: 'string' },
    'no-text': { type: 'boolean', default: false },
    dump: { type: 'string' },
  },
});
if (!args.db) throw new Error('--db <file> is required');

const store = new SqliteStore(args.db);
const base = loadConfig(args.config);
const config = { ...base, store: { ...base.store, url: `sqlite://${args.db}` } };
const encoder = args['no-text'] ? undefined : await createEncoder(config.encoder);
try {
  const users = (await store.users.list({ limit: Number(args.users) })).map((u) => u.id);
  const scenarios = (await store.scenarios.list()).map((s) => s.id).sort();
  const engine = await createEngine(config, { store, encoder: encoder ?? null, onWarning: () => {} });
  const ids = createHash('sha256');
  const scored = createHash('sha256');
  const lines: string[] = [];
  let version = '';
  try {
    for (const user of users) {
      for (const scenario of scenarios) {
        const r = await engine.recommend({ user, scenario, n: 10 });
        version ||= r.modelVersion;
        const row = r.items.map((i) => i.item).join(',');
        ids.update(`${user}\t${scenario}\t${row}\n`);
        const withScores = r.items.map((i) => `${i.item}:${i.score.toFixed(6)}`).join(',');
        scored.update(`${user}\t${scenario}\t${withScores}\n`);
        lines.push(JSON.stringify({ user, scenario, items: r.items.map((i) => [i.item, i.score]) }));
      }
    }
  } finally {
    await engine.close();
  }
  if (args.dump) writeFileSync(args.dump, `${lines.join('\n')}\n`);
  console.log(
    `${users.length} users x ${scenarios.length} scenarios (${scenarios.join(', ')}), text ${encoder ? encoder.id : 'off'}, model ${version}`,
  );
  console.log(`top-10 ids hash     ${ids.digest('hex').slice(0, 16)}`);
  console.log(`top-10 scores hash  ${scored.digest('hex').slice(0, 16)}`);
} finally {
  await store.close();
  await encoder?.close();
}
