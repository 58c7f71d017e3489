/**
 * The filter language's text form, read by a hand-written recursive-descent parser (grammar in
 * docs/api.md, "Filter language"). Nothing is ever evaluated as JavaScript: the parser builds a
 * syntax tree (ast.ts) that compile.ts type-checks and turns into a closure.
 *
 *   expr    := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | primary
 *   primary := "(" expr ")" | "true" | "false" | history | TYPE "within" DURATION | predicate
 *   history := "history" "(" [STRING] [","] [DURATION] ")"
 *   predicate := field [ CMP literal | ["not"] "in" "[" literal ("," literal)* "]" | "contains" literal ]
 *   field   := IDENT ("." IDENT)* | "attributes" "[" STRING "]"
 *   literal := STRING | NUMBER | "true" | "false" | "now" [("+" | "-") DURATION]
 */
import { RecError } from '../../core/errors.ts';
import { FILTER_LIMITS, type FilterExpr, type Literal, parseDuration } from './ast.ts';

type TokenKind = 'ident' | 'string' | 'number' | 'duration' | 'op' | 'punct' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** the number's or duration's value (ms for a duration), the string's contents */
  value?: number | string;
  /** 1-based column */
  col: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'true', 'false', 'now', 'within']);

/** a filter error at a column of the expression, naming the request field it came in */
export function filterError(field: string, col: number, message: string): RecError {
  return new RecError('INVALID_INPUT', `column ${col}: ${message}`, { field, details: { column: col } });
}

function tokenize(src: string, field: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const col = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw filterError(field, col, 'unterminated string');
      out.push({ kind: 'string', text: src.slice(i, j + 1), value: s, col });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?([a-zA-Z_]\w*)?/.exec(src.slice(i))!;
      const text = m[0];
      if (m[2] !== undefined) {
        const ms = parseDuration(text);
        if (ms === undefined)
          throw filterError(field, col, `"${text}" is not a number or a duration (like 30d, 12h, 15m, 2w)`);
        out.push({ kind: 'duration', text, value: ms, col });
      } else out.push({ kind: 'number', text, value: Number(text), col });
      i += text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/.exec(src.slice(i))!;
      out.push({ kind: 'ident', text: m[0], col });
      i += m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, col });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>' || c === '=') {
      out.push({ kind: 'op', text: c === '=' ? '==' : c, col });
      i++;
      continue;
    }
    if ('()[],+-'.includes(c)) {
      out.push({ kind: 'punct', text: c, col });
      i++;
      continue;
    }
    throw filterError(field, col, `unexpected character "${c}"`);
  }
  out.push({ kind: 'end', text: 'end of expression', col: src.length + 1 });
  return out;
}

/**
 * Parses a filter expression. `field` is the request field it came in (`filter`,
 * `boosts[0].when`), named by every error together with the column.
 */
export function parseFilter(src: string, field = 'filter'): FilterExpr {
  if (src.length > FILTER_LIMITS.maxLength) {
    throw new RecError(
      'INVALID_INPUT',
      `expression longer than ${FILTER_LIMITS.maxLength} characters (${src.length})`,
      { field },
    );
  }
  return new Parser(tokenize(src, field), field).parse();
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly field: string,
  ) {}

  parse(): FilterExpr {
    const e = this.expr();
    const t = this.peek();
    if (t.kind !== 'end') throw this.error(t, `expected "and", "or" or the end, found ${show(t)}`);
    return e;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private error(t: Token, message: string): RecError {
    return filterError(this.field, t.col, message);
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'ident' && t.text === w;
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || t.kind === 'string') throw this.error(t, `expected "${text}", found ${show(t)}`);
    return t;
  }

  private nest<T>(t: Token, f: () => T): T {
    if (++this.depth > FILTER_LIMITS.maxDepth)
      throw this.error(t, `nested deeper than ${FILTER_LIMITS.maxDepth} levels`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private expr(): FilterExpr {
    return this.chain('or', () => this.and());
  }

  private and(): FilterExpr {
    return this.chain('and', () => this.unary());
  }

  private chain(op: 'and' | 'or', part: () => FilterExpr): FilterExpr {
    const first = this.peek();
    const args = [part()];
    while (this.isWord(this.peek(), op)) {
      this.next();
      args.push(part());
    }
    return args.length === 1 ? args[0]! : { op, args, at: `column ${first.col}` };
  }

  private unary(): FilterExpr {
    const t = this.peek();
    if (this.isWord(t, 'not')) {
      this.next();
      return this.nest(t, () => ({ op: 'not', arg: this.unary(), at: `column ${t.col}` }));
    }
    return this.primary();
  }

  private primary(): FilterExpr {
    const t = this.next();
    const at = `column ${t.col}`;
    if (t.kind === 'punct' && t.text === '(') {
      const e = this.nest(t, () => this.expr());
      this.expect(')');
      return e;
    }
    if (t.kind !== 'ident')
      throw this.error(t, `expected a field, "not", "(" or history(...), found ${show(t)}`);
    if (t.text === 'true' || t.text === 'false') return { op: 'const', value: t.text === 'true', at };
    if (t.text === 'history' && this.peek().text === '(') return this.history(t);
    if (KEYWORDS.has(t.text)) throw this.error(t, `expected a field, found the keyword "${t.text}"`);
    // `purchase within 30d`: the event-type shorthand of history("purchase", 30d)
    if (this.isWord(this.peek(), 'within')) {
      this.next();
      const d = this.next();
      if (d.kind !== 'duration') throw this.error(d, `expected a duration like 30d, found ${show(d)}`);
      return { op: 'history', type: t.text, within: d.value as number, at };
    }
    const field = this.fieldName(t);
    const op = this.peek();
    if (op.kind === 'op') {
      this.next();
      return { op: 'compare', cmp: op.text as '==', field, value: this.literal(), at };
    }
    if (this.isWord(op, 'contains')) {
      this.next();
      return { op: 'contains', field, value: this.literal(), at };
    }
    if (this.isWord(op, 'in')) {
      this.next();
      return { op: 'in', field, values: this.list(), at };
    }
    if (this.isWord(op, 'not') && this.isWord(this.tokens[this.pos + 1]!, 'in')) {
      this.pos += 2;
      return { op: 'not', arg: { op: 'in', field, values: this.list(), at }, at };
    }
    return { op: 'field', field, at };
  }

  private fieldName(t: Token): string {
    if (t.text === 'attributes' && this.peek().text === '[') {
      this.next();
      const s = this.next();
      if (s.kind !== 'string') throw this.error(s, `expected an attribute name in quotes, found ${show(s)}`);
      this.expect(']');
      return `attributes.${s.value as string}`;
    }
    return t.text;
  }

  private history(t: Token): FilterExpr {
    this.expect('(');
    const out: FilterExpr = { op: 'history', at: `column ${t.col}` };
    let a = this.next();
    if (a.kind === 'string') {
      out.type = a.value as string;
      a = this.next();
      if (a.text === ',') a = this.next();
    }
    if (a.kind === 'duration') {
      out.within = a.value as number;
      a = this.next();
    }
    if (a.text !== ')' || a.kind === 'string')
      throw this.error(a, `expected history("event type", 30d) arguments or ")", found ${show(a)}`);
    return out;
  }

  private list(): Literal[] {
    this.expect('[');
    const values: Literal[] = [];
    if (this.peek().text !== ']') {
      values.push(this.literal());
      while (this.peek().text === ',' && this.peek().kind === 'punct') {
        this.next();
        values.push(this.literal());
      }
    }
    this.expect(']');
    return values;
  }

  private literal(): Literal {
    const t = this.next();
    const at = `column ${t.col}`;
    if (t.kind === 'string') return { kind: 'string', value: t.value as string, at };
    if (t.kind === 'number') return { kind: 'number', value: t.value as number, at };
    if (t.kind === 'punct' && t.text === '-' && this.peek().kind === 'number') {
      return { kind: 'number', value: -(this.next().value as number), at };
    }
    if (this.isWord(t, 'true') || this.isWord(t, 'false'))
      return { kind: 'boolean', value: t.text === 'true', at };
    if (this.isWord(t, 'now')) {
      const sign = this.peek();
      if (sign.kind === 'punct' && (sign.text === '-' || sign.text === '+')) {
        this.next();
        const d = this.next();
        if (d.kind !== 'duration')
          throw this.error(d, `expected a duration like 30d after "now ${sign.text}", found ${show(d)}`);
        return { kind: 'now', offset: (sign.text === '-' ? -1 : 1) * (d.value as number), at };
      }
      return { kind: 'now', offset: 0, at };
    }
    if (t.kind === 'duration')
      throw this.error(t, `a duration stands only after "now -" or "within" (write now - ${t.text})`);
    throw this.error(t, `expected a value (a "string", a number, true, false or now), found ${show(t)}`);
  }
}

function show(t: Token): string {
  return t.kind === 'end' ? 'the end of the expression' : `"${t.text}"`;
}
