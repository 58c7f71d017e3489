import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RecError } from '../core/errors.ts';
import { fieldPath } from '../core/validate.ts';
import { type Config, type ConfigInput, configSchema } from './schema.ts';

/** Short aliases for the most used environment variables. */
const ENV_ALIASES: Record<string, string> = {
  FUSIONREC_DB: 'store.url',
  FUSIONREC_SECRET: 'privacy.secret',
  FUSIONREC_PORT: 'server.port',
};

/**
 * Environment overrides: `FUSIONREC_<SECTION>__<KEY>` (double underscore between levels, keys in
 * UPPER_SNAKE), e.g. `FUSIONREC_SERVER__PORT=9000`, `FUSIONREC_ENCODER__PROVIDER=openai`.
 * Values are parsed as JSON when they parse (numbers, booleans, arrays), else taken as strings.
 */
function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || !name.startsWith('FUSIONREC_')) continue;
    const path =
      ENV_ALIASES[name] ??
      (name.includes('__')
        ? name
            .slice('FUSIONREC_'.length)
            .split('__')
            .map((p) => p.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))
            .join('.')
        : undefined);
    if (!path) continue;
    setPath(out, path.split('.'), parseEnvValue(raw));
  }
  return out;
}

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return b;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(out[k], v);
  return out;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Validates a plain object (file contents merged with env) into a frozen Config. */
export function parseConfig(input: ConfigInput | Record<string, unknown>, source = 'config'): Config {
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new RecError('INVALID_CONFIG', `${source}: ${issue.message}`, { field: fieldPath(issue.path) });
  }
  const cfg = r.data;
  if (cfg.privacy.pseudonymise && cfg.privacy.secret.length < 16) {
    throw new RecError('INVALID_CONFIG', 'pseudonymise needs a secret of at least 16 characters', {
      field: 'privacy.secret',
    });
  }
  if (cfg.encoder.provider === 'onnx' && !cfg.encoder.modelPath) {
    throw new RecError('INVALID_CONFIG', 'provider onnx needs encoder.modelPath', {
      field: 'encoder.modelPath',
    });
  }
  if (cfg.encoder.provider === 'openai' && !cfg.encoder.url) {
    throw new RecError('INVALID_CONFIG', 'provider openai needs encoder.url', { field: 'encoder.url' });
  }
  if (cfg.generator.provider === 'openai' && !cfg.generator.url) {
    throw new RecError('INVALID_CONFIG', 'generator openai needs generator.url', { field: 'generator.url' });
  }
  checkServer(cfg.server);
  const ids = new Set<string>();
  cfg.scenarios.forEach((s, i) => {
    if (ids.has(s.id))
      throw new RecError('INVALID_CONFIG', `duplicate scenario id "${s.id}"`, {
        field: `scenarios[${i}].id`,
      });
    ids.add(s.id);
  });
  return deepFreeze(cfg);
}

/** What the server section's schema cannot say on its own: timeouts that fit, tenants kept apart. */
function checkServer(server: Config['server']): void {
  const fail = (field: string, message: string) => {
    throw new RecError('INVALID_CONFIG', message, { field: `server.${field}` });
  };
  if (server.requestTimeoutMs > 0 && server.headersTimeoutMs > server.requestTimeoutMs)
    fail('headersTimeoutMs', 'must not exceed server.requestTimeoutMs');
  if (server.tokenSecret && server.tokenSecret.length < 32)
    fail('tokenSecret', 'a token secret needs at least 32 characters');
  if (server.tenants.length === 0) return;
  // with tenants every key belongs to one: a key outside them would not say whose catalog it opens
  if (server.adminKeyHashes.length > 0)
    fail('adminKeyHashes', 'with server.tenants, keys belong to a tenant');
  if (server.readKeyHashes.length > 0) fail('readKeyHashes', 'with server.tenants, keys belong to a tenant');
  const seen = { id: new Set<string>(), url: new Set<string>(), key: new Set<string>() };
  server.tenants.forEach((t, i) => {
    if (seen.id.has(t.id)) fail(`tenants[${i}].id`, `duplicate tenant id "${t.id}"`);
    seen.id.add(t.id);
    if (seen.url.has(t.store.url)) fail(`tenants[${i}].store.url`, 'two tenants may not share a store');
    seen.url.add(t.store.url);
    for (const [list, hashes] of [
      ['adminKeyHashes', t.adminKeyHashes],
      ['readKeyHashes', t.readKeyHashes],
    ] as const) {
      hashes.forEach((h, j) => {
        if (seen.key.has(h.toLowerCase())) fail(`tenants[${i}].${list}[${j}]`, 'a key belongs to one tenant');
        seen.key.add(h.toLowerCase());
      });
    }
  });
}

/**
 * Loads the configuration once: optional JSON file, then environment overrides, validated into a
 * frozen object. Library, CLI and server all call this and nothing else reads the environment.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new RecError('INVALID_CONFIG', `cannot read config file ${file}`, { cause });
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (cause) {
      throw new RecError('INVALID_CONFIG', `${file} is not valid JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  return parseConfig(deepMerge(fromFile, envOverrides(env)) as Record<string, unknown>, file ?? 'config');
}

/** Stable hash of a config (secrets excluded) used to stamp models and cached results. */
export function configHash(
  cfg: Config,
  sections: (keyof Config)[] = Object.keys(cfg) as (keyof Config)[],
): string {
  const pick: Record<string, unknown> = {};
  for (const s of [...sections].sort()) pick[s] = cfg[s];
  const json = JSON.stringify(pick, (k, v) =>
    k === 'secret' || k === 'tokenSecret' || k === 'apiKey' || k.endsWith('KeyHashes') || k === 'tenants'
      ? undefined
      : v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y)))
        : v,
  );
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}
