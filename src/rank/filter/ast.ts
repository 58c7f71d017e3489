/**
 * The filter language's syntax tree, shared by the text parser (parse.ts), the JSON form
 * (json.ts) and the compiler (compile.ts). Every node carries where it came from (`at`): a column
 * of the expression text, or a path in the JSON form, so an error can name it.
 */

/** a literal on the right of a comparison */
export type Literal =
  | { kind: 'string'; value: string; at: string }
  | { kind: 'number'; value: number; at: string }
  | { kind: 'boolean'; value: boolean; at: string }
  /** `now`, `now - 30d`: request time plus `offset` milliseconds */
  | { kind: 'now'; offset: number; at: string };

type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type FilterExpr =
  | { op: 'and' | 'or'; args: FilterExpr[]; at: string }
  | { op: 'not'; arg: FilterExpr; at: string }
  | { op: 'const'; value: boolean; at: string }
  /** a boolean field on its own: `available` */
  | { op: 'field'; field: string; at: string }
  | { op: 'compare'; cmp: CompareOp; field: string; value: Literal; at: string }
  | { op: 'in'; field: string; values: Literal[]; at: string }
  | { op: 'contains'; field: string; value: Literal; at: string }
  /**
   * The user had an event on the item: of `type` (any type when absent), within `within` ms of
   * the request (ever when absent).
   */
  | { op: 'history'; type?: string; within?: number; at: string };

/** what the language accepts at most: longer or deeper expressions are refused before parsing */
export const FILTER_LIMITS = { maxLength: 2000, maxDepth: 32 } as const;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30d` -> milliseconds; undefined when not a duration */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** the expression as text again (canonical form: fully parenthesised), for explanations */
export function printFilter(e: FilterExpr): string {
  switch (e.op) {
    case 'and':
    case 'or':
      return `(${e.args.map(printFilter).join(` ${e.op} `)})`;
    case 'not':
      return `not ${printFilter(e.arg)}`;
    case 'const':
      return String(e.value);
    case 'field':
      return e.field;
    case 'compare':
      return `${e.field} ${e.cmp} ${printLiteral(e.value)}`;
    case 'in':
      return `${e.field} in [${e.values.map(printLiteral).join(', ')}]`;
    case 'contains':
      return `${e.field} contains ${printLiteral(e.value)}`;
    case 'history': {
      const args = [
        ...(e.type !== undefined ? [JSON.stringify(e.type)] : []),
        ...(e.within !== undefined ? [`${e.within / 1000}s`] : []),
      ];
      return `history(${args.join(', ')})`;
    }
  }
}

function printLiteral(l: Literal): string {
  switch (l.kind) {
    case 'string':
      return JSON.stringify(l.value);
    case 'number':
    case 'boolean':
      return String(l.value);
    case 'now':
      return l.offset === 0 ? 'now' : `now ${l.offset < 0 ? '-' : '+'} ${Math.abs(l.offset) / 1000}s`;
  }
}
