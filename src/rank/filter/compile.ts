/**
 * Type-checks a filter's syntax tree against the catalog's field types and compiles it into a
 * closure over the item columns (facts.ts). An expression that names an unknown field or compares
 * values of different types is refused here, naming where in the expression. Semantics (docs/api.md):
 * a comparison with a value the item does not have is false (`!=` too); `not` negates that.
 */
import { RecError } from '../../core/errors.ts';
import type { FilterExpr, Literal } from './ast.ts';
import type { FieldType, ItemFacts } from './facts.ts';
import { filterError } from './parse.ts';

/** the user's events the history predicates read: item -> [type, ts] pairs */
export interface UserEvents {
  has(item: number, type: string | undefined, since: number): boolean;
}

/** what a filter reads besides the item: request time and, for history predicates, the user's events */
export interface FilterEnv {
  now: number;
  history?: UserEvents | undefined;
}

type Test = (item: number, env: FilterEnv) => boolean;

export interface CompiledFilter {
  /** whether the filter reads the user's events (history(...)) */
  readonly needsHistory: boolean;
  /** the oldest event it reads, as ms before the request (Infinity: any) */
  readonly historyWindow: number;
  /** the facts version it was compiled against */
  readonly version: number;
  bind(env: FilterEnv): (item: number) => boolean;
}

/** an error at a node: a column of the text (with the request field) or a path of the JSON form */
function errorAt(field: string, at: string, message: string): RecError {
  const col = /^column (\d+)$/.exec(at);
  if (col) return filterError(field, Number(col[1]), message);
  return new RecError('INVALID_INPUT', message, { field: at });
}

export function compileFilter(e: FilterExpr, facts: ItemFacts, field = 'filter'): CompiledFilter {
  let needsHistory = false;
  let window = 0;
  const fail = (at: string, message: string) => errorAt(field, at, message);
  const typeOf = (name: string, at: string): FieldType => {
    const t = facts.fieldType(name);
    if (t === undefined) {
      const names = facts.fieldNames();
      const shown = names.length > 30 ? `${names.slice(0, 30).join(', ')}, ...` : names.join(', ');
      throw fail(at, `unknown field "${name}" (fields: ${shown})`);
    }
    return t;
  };

  const compile = (n: FilterExpr): Test => {
    switch (n.op) {
      case 'const': {
        const v = n.value;
        return () => v;
      }
      case 'and': {
        const parts = n.args.map(compile);
        return (i, env) => parts.every((p) => p(i, env));
      }
      case 'or': {
        const parts = n.args.map(compile);
        return (i, env) => parts.some((p) => p(i, env));
      }
      case 'not': {
        const p = compile(n.arg);
        return (i, env) => !p(i, env);
      }
      case 'field': {
        const t = typeOf(n.field, n.at);
        if (t !== 'boolean')
          throw fail(n.at, `"${n.field}" is a ${t} field, not a boolean: compare it (${n.field} == ...)`);
        const read = facts.reader(n.field);
        return (i) => read(i) === true;
      }
      case 'history': {
        needsHistory = true;
        window = Math.max(window, n.within ?? Number.POSITIVE_INFINITY);
        const { type, within } = n;
        return (i, env) =>
          env.history?.has(i, type, within === undefined ? Number.NEGATIVE_INFINITY : env.now - within) ??
          false;
      }
      case 'contains': {
        const t = typeOf(n.field, n.at);
        const read = facts.reader(n.field);
        if (n.value.kind !== 'string')
          throw fail(n.value.at, `"${n.field} contains" takes a string, not a ${n.value.kind}`);
        const s = n.value.value;
        if (t === 'list') return (i) => (read(i) as readonly string[] | undefined)?.includes(s) ?? false;
        if (t === 'string' || t === 'mixed') {
          const lower = s.toLowerCase();
          const readLower = facts.lowerReader(n.field);
          return (i) => readLower(i)?.includes(lower) ?? false;
        }
        throw fail(n.at, `"contains" applies to a list or string field; "${n.field}" is a ${t} field`);
      }
      case 'in': {
        const t = typeOf(n.field, n.at);
        const read = facts.reader(n.field);
        const values = n.values.map((l) => constant(t === 'list' ? 'string' : t, l, n.field, '==', fail));
        if (t === 'list') {
          const set = new Set(values as string[]);
          return (i) => (read(i) as readonly string[] | undefined)?.some((x) => set.has(x)) ?? false;
        }
        const set = new Set(values);
        return (i) => {
          const v = read(i);
          return v !== undefined && set.has(v as string);
        };
      }
      case 'compare': {
        const t = typeOf(n.field, n.at);
        const read = facts.reader(n.field);
        if (t === 'list') throw fail(n.at, `"${n.field}" is a list: use "contains" or "in"`);
        if (t === 'boolean' && n.cmp !== '==' && n.cmp !== '!=')
          throw fail(n.at, `"${n.field}" is a boolean field: only == and != compare it`);
        const c = cmpOf(n.cmp);
        if (n.value.kind === 'now') {
          if (t !== 'time' && t !== 'number')
            throw fail(n.value.at, `"${n.field}" is a ${t} field: it cannot be compared with a time`);
          const offset = n.value.offset;
          return (i, env) => {
            const v = read(i);
            return typeof v === 'number' && c(v, env.now + offset);
          };
        }
        const k = constant(t, n.value, n.field, n.cmp, fail);
        return (i) => {
          const v = read(i);
          // a missing value, or (mixed fields) one of another type, compares false
          return v !== undefined && typeof v === typeof k && c(v as number, k as number);
        };
      }
    }
  };
  const test = compile(e);
  return {
    needsHistory,
    historyWindow: window,
    version: facts.version,
    bind: (env) => (i) => test(i, env),
  };
}

/** the literal as the value the field is compared with, or a type error */
function constant(
  t: FieldType,
  l: Literal,
  field: string,
  cmp: string,
  fail: (at: string, message: string) => RecError,
): string | number | boolean {
  if (l.kind === 'now') throw fail(l.at, `"now" compares with time fields only; "${field}" is a ${t} field`);
  if (t === 'mixed') return l.value;
  if (t === 'time') {
    if (l.kind === 'number') return l.value;
    if (l.kind === 'string') {
      const ms = Date.parse(l.value);
      if (Number.isNaN(ms)) throw fail(l.at, `"${l.value}" is not a date (write 2024-05-01 or now - 30d)`);
      return ms;
    }
    throw fail(l.at, `"${field}" is a time: it cannot be compared with a ${l.kind}`);
  }
  const want = t === 'list' ? 'string' : t;
  if (l.kind !== want) {
    throw fail(l.at, `"${field}" is a ${want} field: it cannot be compared with a ${l.kind} (${cmp})`);
  }
  return l.value;
}

function cmpOf(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case '==':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    case '>':
      return (a, b) => a > b;
    default:
      return (a, b) => a >= b;
  }
}
