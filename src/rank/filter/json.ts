/**
 * The filter language's JSON form: the same syntax tree as the text form, for callers that build
 * filters in code. Errors name the path in the JSON (`filter.and[1].value`).
 *
 *   {"and": [f, ...]}  {"or": [f, ...]}  {"not": f}  true  false
 *   {"field": "price", "op": "<", "value": 20}            op: == != < <= > >= in contains
 *   {"field": "created_at", "op": ">", "value": {"now": "-30d"}}
 *   {"field": "available"}                                 a boolean field
 *   {"history": {"type": "purchase", "within": "30d"}}     both keys optional
 */
import { RecError } from '../../core/errors.ts';
import { FILTER_LIMITS, type FilterExpr, type Literal, parseDuration } from './ast.ts';

const CMP = new Set(['==', '!=', '<', '<=', '>', '>=']);

function bad(path: string, message: string): RecError {
  return new RecError('INVALID_INPUT', message, { field: path });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** the JSON form as a syntax tree; `field` is where it came in the request */
export function filterFromJson(value: unknown, field = 'filter'): FilterExpr {
  const size = JSON.stringify(value)?.length ?? 0;
  if (size > FILTER_LIMITS.maxLength)
    throw bad(field, `filter longer than ${FILTER_LIMITS.maxLength} characters as JSON (${size})`);
  return node(value, field, 0);
}

function node(v: unknown, path: string, depth: number): FilterExpr {
  if (depth > FILTER_LIMITS.maxDepth) throw bad(path, `nested deeper than ${FILTER_LIMITS.maxDepth} levels`);
  if (typeof v === 'boolean') return { op: 'const', value: v, at: path };
  if (!isObject(v)) throw bad(path, 'expected a filter object or true/false');
  const keys = Object.keys(v);
  const only = (...allowed: string[]) => {
    const extra = keys.find((k) => !allowed.includes(k));
    if (extra !== undefined) throw bad(`${path}.${extra}`, `unexpected key "${extra}"`);
  };
  if ('and' in v || 'or' in v) {
    const op = 'and' in v ? 'and' : 'or';
    only(op);
    const args = v[op];
    if (!Array.isArray(args) || args.length === 0)
      throw bad(`${path}.${op}`, 'expected a non-empty array of filters');
    return { op, args: args.map((a, i) => node(a, `${path}.${op}[${i}]`, depth + 1)), at: path };
  }
  if ('not' in v) {
    only('not');
    return { op: 'not', arg: node(v.not, `${path}.not`, depth + 1), at: path };
  }
  if ('history' in v) {
    only('history');
    const h = v.history;
    if (!isObject(h)) throw bad(`${path}.history`, 'expected {type?, within?}');
    const out: FilterExpr = { op: 'history', at: path };
    for (const k of Object.keys(h)) {
      if (k === 'type') {
        if (typeof h.type !== 'string' || h.type === '')
          throw bad(`${path}.history.type`, 'expected an event type');
        out.type = h.type;
      } else if (k === 'within') {
        const ms = typeof h.within === 'string' ? parseDuration(h.within) : undefined;
        if (ms === undefined) throw bad(`${path}.history.within`, 'expected a duration like "30d"');
        out.within = ms;
      } else throw bad(`${path}.history.${k}`, `unexpected key "${k}"`);
    }
    return out;
  }
  if (!('field' in v)) throw bad(path, 'expected one of and, or, not, history, field');
  only('field', 'op', 'value');
  const field = v.field;
  if (typeof field !== 'string' || field === '') throw bad(`${path}.field`, 'expected a field name');
  if (v.op === undefined) {
    if ('value' in v) throw bad(`${path}.op`, 'expected an operator');
    return { op: 'field', field, at: path };
  }
  const op = v.op;
  if (op === 'in') {
    if (!Array.isArray(v.value)) throw bad(`${path}.value`, 'expected an array of values');
    return { op: 'in', field, values: v.value.map((x, i) => literal(x, `${path}.value[${i}]`)), at: path };
  }
  if (op === 'contains') return { op: 'contains', field, value: literal(v.value, `${path}.value`), at: path };
  if (typeof op !== 'string' || !CMP.has(op))
    throw bad(`${path}.op`, 'expected one of == != < <= > >= in contains');
  return { op: 'compare', cmp: op as '==', field, value: literal(v.value, `${path}.value`), at: path };
}

function literal(v: unknown, at: string): Literal {
  if (typeof v === 'string') return { kind: 'string', value: v, at };
  if (typeof v === 'number' && Number.isFinite(v)) return { kind: 'number', value: v, at };
  if (typeof v === 'boolean') return { kind: 'boolean', value: v, at };
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.now === 'string') {
    const text = v.now.trim();
    if (text === '') return { kind: 'now', offset: 0, at };
    const sign = text[0] === '-' ? -1 : 1;
    const ms = parseDuration(text.replace(/^[+-]\s*/, ''));
    if (ms !== undefined) return { kind: 'now', offset: sign * ms, at };
  }
  throw bad(at, 'expected a string, a finite number, true, false or {"now": "-30d"}');
}
