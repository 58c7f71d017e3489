/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document: values a schema accepts
 * (with known ids mixed in, so requests reach past the "unknown item" checks), and junk that
 * breaks one rule of it at a time.
 */
import fc from 'fast-check';

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
};

/** Values the server knows, by the name of the field they go in. */
export interface Known {
  /** e.g. user -> the users in the store; id -> items and users */
  byName: Record<string, readonly string[]>;
  /** every known id of any kind: for string fields whose name says nothing */
  any: readonly string[];
}

/** strings a server must survive: controls, lone surrogates, right-to-left marks, emoji, NUL */
export const oddStrings: readonly string[] = [
  '',
  ' ',
  ' padded ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\u202Eevil',
  '👩‍👩‍👧‍👦',
  'e\u0301',
  '\uFFFF',
  '\uFEFFbom',
  '..',
  '../../etc/passwd',
  '%',
  '%zz',
  '%2F',
  '?a=1',
  '#frag',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '1e999',
  '-0',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'ﬁ',
  '\t\n\r',
];

const cap = (n: number | undefined, max: number) => Math.min(n ?? max, max);

/** a string field's valid values: a known value for its name, any known id, or generated text */
function stringArb(s: JsonSchema, name: string | undefined, known: Known): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = cap(s.maxLength, 24);
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= min);
  const generated = fc
    .string({ minLength: Math.max(min, 1), maxLength: Math.max(max, Math.max(min, 1)), unit: 'grapheme' })
    .map((v) => v.trim())
    .filter((v) => v.length >= min);
  const named = name ? known.byName[name] : undefined;
  const options: fc.WeightedArbitrary<string>[] = [{ arbitrary: generated, weight: 2 }];
  if (named?.length) options.push({ arbitrary: fc.constantFrom(...named), weight: 6 });
  if (known.any.length) options.push({ arbitrary: fc.constantFrom(...known.any), weight: 1 });
  return fc.oneof(...options);
}

/** recent times for `ts`-like integers (the engine rejects far-future ones) */
function integerArb(s: JsonSchema, name: string | undefined): fc.Arbitrary<number> {
  if (name === 'ts' || name === 'createdAt') {
    const now = Date.now();
    return fc.integer({ min: now - 365 * 86_400_000, max: now });
  }
  const min = Math.max(s.minimum ?? -1e6, Number.MIN_SAFE_INTEGER);
  const max = Math.min(s.maximum ?? 1e6, Number.MAX_SAFE_INTEGER);
  return fc.oneof(fc.integer({ min, max: Math.min(max, min + 20) }), fc.integer({ min, max }));
}

/** A value the schema accepts (by its types, lengths and ranges). */
export function validArb(s: JsonSchema, known: Known, name?: string): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((a) => validArb(a, known, name)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringArb(s, name, known);
    case 'integer':
      return integerArb(s, name);
    case 'number':
      return fc.double({
        min: s.minimum ?? -1e9,
        max: s.maximum ?? 1e9,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(validArb(s.items ?? {}, known, name), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(cap(s.maxItems, 4), s.minItems ?? 0),
      });
    case 'object':
      return objectArb(s, known);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArb(s: JsonSchema, known: Known): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of Object.entries(props)) model[k] = validArb(v, known, k);
  const fixed = fc.record(model, { requiredKeys: s.required ?? [] });
  const extra = s.additionalProperties;
  if (!extra || typeof extra !== 'object') return fixed;
  const named = new Set(Object.keys(props));
  const more = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !named.has(k) && k !== '__proto__'),
    validArb(extra, known),
    { maxKeys: 2 },
  );
  return fc.tuple(fixed, more).map(([a, b]) => ({ ...b, ...a }));
}

/** JSON of any shape and nesting, including deep arrays and objects */
export const junkArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.integer({ min: 1, max: 300 }).map((depth) => {
    let v: unknown = 'x';
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
    return v;
  }),
  fc.constantFrom(null, true, 0, -1, 1e308, -0, 'x', [], {}, [null], { '': '' }),
);

/** The `n`-th of a few values of other JSON types than the schema asks for (a wrong-type input). */
export function wrongTypeValue(s: JsonSchema, n: number): unknown {
  const types = new Set(Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
  const numeric = types.has('integer') || types.has('number');
  const all: [string, unknown[]][] = [
    ['string', ['12', 'true', 'x', '']],
    ['number', numeric ? [] : [0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER + 2]],
    ['boolean', [true, false]],
    ['null', [null]],
    ['array', [[], ['a'], [1, 2]]],
    ['object', [{}, { a: 1 }]],
  ];
  const values = all.filter(([t]) => !types.has(t)).flatMap(([, v]) => v);
  if (types.has('integer')) values.push(1.5, -0.5);
  return values[n % values.length];
}
