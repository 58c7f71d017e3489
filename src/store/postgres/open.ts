/**
 * Connecting to PostgreSQL and migrating its schema. A bad `store.url`, a refused connection, a
 * failed login and a missing database each give one `INVALID_CONFIG` error naming `store.url`.
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import { RecError } from '../../core/errors.ts';
import { inTransaction } from './sql.ts';

/**
 * Versioned migrations: migration `i` (from 0) is schema version `i + 1`, recorded in
 * `schema_migrations`. Append only. Every id column uses the "C" collation, so `ORDER BY id` and
 * the keyset cursors compare bytes, as SQLite and JavaScript's sort do, whatever the database's
 * locale.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);
   CREATE TABLE scenarios (id text COLLATE "C" PRIMARY KEY, json text NOT NULL);
   CREATE TABLE items (
     id text COLLATE "C" PRIMARY KEY, scenario text COLLATE "C" NOT NULL, json text NOT NULL,
     created_at bigint, available boolean NOT NULL DEFAULT true);
   CREATE INDEX items_by_scenario ON items (scenario, id);
   CREATE TABLE users (id text COLLATE "C" PRIMARY KEY, json text);
   CREATE TABLE events (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
     user_id text COLLATE "C" NOT NULL, item text COLLATE "C" NOT NULL, scenario text COLLATE "C" NOT NULL,
     type text NOT NULL, value double precision, text text, ts bigint NOT NULL, context text, split text);
   CREATE INDEX events_by_user ON events (user_id, scenario, ts);
   CREATE TABLE blobs (
     ns text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, value bytea NOT NULL,
     PRIMARY KEY (ns, key));
   -- vectors and models do not compress: store them out of line without trying
   ALTER TABLE blobs ALTER COLUMN value SET STORAGE EXTERNAL;`,
  // the feedback log: served answers and the events credited to them (src/engine/feedback.ts)
  `CREATE TABLE impressions (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text COLLATE "C" NOT NULL UNIQUE,
     user_id text COLLATE "C" NOT NULL, scenario text COLLATE "C" NOT NULL, ts bigint NOT NULL,
     model_version text NOT NULL, experiment text COLLATE "C", variant text, json text NOT NULL);
   CREATE INDEX impressions_by_user ON impressions (user_id, ts);
   CREATE INDEX impressions_by_experiment ON impressions (experiment, seq) WHERE experiment IS NOT NULL;
   CREATE TABLE attributions (
     event text COLLATE "C" PRIMARY KEY, impression text COLLATE "C" NOT NULL,
     user_id text COLLATE "C" NOT NULL, item text COLLATE "C" NOT NULL, type text NOT NULL, ts bigint NOT NULL);
   CREATE INDEX attributions_by_impression ON attributions (impression);
   CREATE INDEX attributions_by_user ON attributions (user_id);`,
];

/**
 * The index of events by user, which a bulk load into an empty table builds once at its end
 * (PgEvents.bulkLoad); a store opened after a load that did not finish builds it then.
 */
export const EVENTS_BY_USER = 'CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, scenario, ts)';

/** advisory lock keys (per database): one migrator at a time; one event writer at a time */
export const LOCKS = { migrate: 0x66720001, events: 0x66720002 } as const;

const INT8_OID = 20;
/**
 * COUNT(*), seq and ts come back as int8, which pg returns as strings by default: every value the
 * store keeps fits a double (epoch ms, row counts), so they are parsed as numbers, for this pool
 * only (pg's global parsers are left alone).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** connections per store: enough for concurrent requests, few enough for many nodes on one server */
const POOL_MAX = 10;

/** `postgres://user@host:port/db`, without the password, for messages */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

function configError(url: string, what: string, cause?: unknown): RecError {
  return new RecError('INVALID_CONFIG', `cannot open the PostgreSQL store ${describeUrl(url)}: ${what}`, {
    field: 'store.url',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** what failed, in words, for the errors a misconfigured URL gives */
function connectFailure(e: unknown): string | undefined {
  const err = e as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = err.code ?? err.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running, on this host and port?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'server unreachable';
    case '28P01':
    case '28000':
      return `authentication failed (${err.message})`;
    case '3D000':
      return `database does not exist (${err.message})`;
  }
  if (/timeout/i.test(err.message ?? '')) return 'connection timed out';
  return undefined;
}

/** Opens a pool on `url`, checks that it connects, and brings the schema to the latest version. */
export async function openPool(url: string): Promise<pg.Pool> {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw configError(url, 'not a valid URL (postgres://user:password@host:5432/database)', e);
  }
  if (u.pathname.length <= 1)
    throw configError(url, 'names no database (postgres://user:password@host:5432/database)');
  // as psql does: no user in the URL is PGUSER, else the operating system's user
  if (!u.username) u.username = encodeURIComponent(process.env.PGUSER || userInfo().username);
  const pool = new pg.Pool({
    connectionString: u.toString(),
    max: POOL_MAX,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: 'fusionrec',
    types,
  });
  // an idle connection the server dropped: the pool discards it and the next query opens another
  pool.on('error', () => {});
  try {
    await migrate(pool);
    // looked up first: CREATE INDEX IF NOT EXISTS would wait for every open write to the table
    const { rowCount } = await pool.query(
      "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'events_by_user'",
    );
    if (!rowCount) await pool.query(EVENTS_BY_USER);
  } catch (e) {
    await pool.end();
    if (e instanceof RecError) throw e;
    const what = connectFailure(e);
    if (what) throw configError(url, what, e);
    throw new RecError(
      'STORE_ERROR',
      `cannot migrate the PostgreSQL store ${describeUrl(url)}: ${String((e as Error).message ?? e)}`,
      { cause: e },
    );
  }
  return outagesUnavailable(pool, describeUrl(url));
}

/** the server's shutdown and connection failures (SQLSTATE 57P0x, class 08) and the socket's */
function isOutage(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (
    typeof err?.code === 'string' &&
    /^(57P0[123]|08...|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(err.code)
  )
    return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Connection refused/i.test(
    err?.message ?? '',
  );
}

/**
 * Once open, a server that goes away answers `UNAVAILABLE` (503 with `Retry-After`), not a
 * stack trace: a write refused while PostgreSQL restarts is retried by the client, and the pool
 * connects again by itself on the next query.
 */
function outagesUnavailable(pool: pg.Pool, target: string): pg.Pool {
  const map = (e: unknown): unknown =>
    isOutage(e)
      ? new RecError(
          'UNAVAILABLE',
          `PostgreSQL at ${target} is unreachable (${(e as Error).message}); retry`,
          {
            cause: e,
          },
        )
      : e;
  // a submittable (COPY) returns itself, not a promise: left as it is
  const wrap =
    (f: (...a: unknown[]) => unknown) =>
    (...a: unknown[]) => {
      const r = f(...a);
      return r instanceof Promise ? r.catch((e) => Promise.reject(map(e))) : r;
    };
  const wrapped = new WeakSet<pg.PoolClient>();
  (pool as { query: unknown }).query = wrap(pool.query.bind(pool) as (...a: unknown[]) => unknown);
  const connect = pool.connect.bind(pool) as (...a: unknown[]) => Promise<pg.PoolClient>;
  (pool as { connect: unknown }).connect = (...a: unknown[]) =>
    // pool.query checks a client out with a callback: that form is left as it is
    typeof a[0] === 'function' ? connect(...a) : checkout();
  const checkout = async () => {
    const c = await connect().catch((e) => Promise.reject(map(e)));
    // pooled clients come back: wrapped once
    if (!wrapped.has(c)) {
      wrapped.add(c);
      // a server that goes away while the client is checked out: its query rejects, and the
      // client's 'error' event must not end the process
      c.on('error', () => {});
      (c as { query: unknown }).query = wrap(c.query.bind(c) as (...a: unknown[]) => unknown);
    }
    return c;
  };
  return pool;
}

/**
 * Applies the pending migrations, each in its own transaction under an advisory lock, so nodes
 * opening one database at once migrate it once. Re-opening a migrated database changes nothing.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  for (;;) {
    const done = await inTransaction(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.migrate]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const { rows } = await c.query<{ v: number }>(
        'SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations',
      );
      const version = rows[0]!.v;
      if (version > MIGRATIONS.length)
        throw new RecError(
          'STORE_ERROR',
          `the database has schema version ${version}, newer than this fusionrec (${MIGRATIONS.length})`,
        );
      if (version === MIGRATIONS.length) return true;
      await c.query(MIGRATIONS[version]!);
      await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version + 1]);
      return false;
    });
    if (done) return;
  }
}
