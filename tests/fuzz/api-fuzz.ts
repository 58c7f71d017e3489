/**
 * A fuzzer driven by the OpenAPI document: for every operation it lists, requests built from the
 * documented parameter and body schemas, and malformed variants of them (wrong types, missing and
 * unknown fields, huge and odd strings, deep nesting, broken JSON, wrong content types, odd path
 * parameters and query strings, missing or wrong keys). Each response is checked against the
 * invariants every route promises:
 *
 * - never a 500 (a 503 only with a catalogue code that means "unavailable");
 * - an error body has the documented shape, a catalogue code whose status is the HTTP status, a
 *   `field` naming an input where the code is about one, and no stack trace;
 * - a success has the documented status and matches the documented response schema;
 * - a rejected request changes nothing in the store.
 *
 * New routes are fuzzed as soon as the document lists them.
 */

import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { ERROR_CATALOGUE } from '../../src/core/errors.ts';
import { type JsonSchema, junkArb, type Known, oddStrings, validArb, wrongTypeValue } from './schema-arb.ts';

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. `/v1/items/{id}` */
  path: string;
  params: { name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema }[];
  body?: JsonSchema;
  access: 'public' | 'read' | 'admin';
  /** documented success status and its JSON schema (absent: any JSON) */
  success: { status: number; schema?: JsonSchema };
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** every operation of the document */
export function operationsOf(doc: Record<string, unknown>): Operation[] {
  const d = doc as unknown as OpenApiDoc;
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(d.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as {
        parameters?: Operation['params'];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
        security?: Record<string, unknown>[];
        responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
      };
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      const [status, res] = Object.entries(op.responses).find(([s]) => /^2\d\d$/.test(s))!;
      const schema = res.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        ...(op.requestBody ? { body: op.requestBody.content['application/json']!.schema } : {}),
        access: schemes.length === 0 ? 'public' : schemes.includes('readKey') ? 'read' : 'admin',
        success: { status: Number(status), ...(schema ? { schema } : {}) },
      });
    }
  }
  return ops;
}

export interface FuzzRequest {
  op: Operation;
  /** `valid` or the malformation applied */
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

export interface Keys {
  admin: string;
  read: string;
}

type Parts = {
  pathValues: Record<string, string>;
  query: [string, string][];
  body: unknown;
  hasBody: boolean;
  /** bytes sent instead of the body's JSON */
  raw?: Buffer;
  /** `''`: no content-type header */
  contentType?: string;
  /** which key to present instead of the route's own */
  keyMode?: string;
  methodOverride?: string;
};

/** the value the schema describes for a path parameter: known ids of the collection it names */
function paramKnown(op: Operation, name: string, known: Known): Known {
  const segs = op.path.split('/');
  const before = segs[segs.indexOf(`{${name}}`) - 1];
  const byName = before && known.byName[before] ? known.byName[before]! : known.byName[name];
  return byName ? { byName: { [name]: byName }, any: known.any } : known;
}

/** rules the schemas cannot say: a body id equals the path id, an event's scenario is its item's */
function consistent(body: unknown, pathValues: Record<string, string>, known: Known, pick: number): unknown {
  if (Array.isArray(body)) return body.map((b) => consistent(b, pathValues, known, pick));
  if (!body || typeof body !== 'object') return body;
  const o = { ...(body as Record<string, unknown>) };
  for (const [k, v] of Object.entries(o))
    if (v && typeof v === 'object') o[k] = consistent(v, pathValues, known, pick);
  if (pick % 5 === 0) return o;
  for (const [k, v] of Object.entries(pathValues)) if (k in o) o[k] = v;
  const scenarioOf = known.byName['scenarioOfItem:'] ?? [];
  if (typeof o.item === 'string' && 'scenario' in o) {
    const hit = scenarioOf.find((s) => s.startsWith(`${o.item}\u0000`));
    if (hit) o.scenario = hit.split('\u0000')[1];
  }
  if (typeof o.id === 'string' && typeof o.scenario === 'string' && !('item' in o) && !('user' in o)) {
    const hit = scenarioOf.find((s) => s.startsWith(`${o.id}\u0000`));
    if (hit && pick % 3 === 0) o.scenario = hit.split('\u0000')[1];
  }
  return o;
}

function validParts(op: Operation, known: Known): fc.Arbitrary<Parts> {
  const path = op.params.filter((p) => p.in === 'path');
  const query = op.params.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...path.map((p) => validArb(p.schema, paramKnown(op, p.name, known), p.name)));
  const queryArb = fc.tuple(
    ...query.map((p) =>
      p.required
        ? validArb(p.schema, known, p.name).map((v) => [[p.name, String(v)]] as [string, string][])
        : fc
            .option(validArb(p.schema, known, p.name), { nil: undefined })
            .map((v) => (v === undefined ? [] : ([[p.name, String(v)]] as [string, string][]))),
    ),
  );
  const bodyArb = op.body ? validArb(op.body, known) : fc.constant(undefined);
  return fc.tuple(pathArb, queryArb, bodyArb, fc.nat()).map(([pv, qv, body, pick]) => {
    const pathValues = Object.fromEntries(path.map((p, i) => [p.name, String(pv[i])]));
    return {
      pathValues,
      query: qv.flat(),
      body: consistent(body, pathValues, known, pick),
      hasBody: op.body !== undefined,
    };
  });
}

/** a top-level body key to break (one of the schema's properties, or any present one) */
function bodyKeys(op: Operation, body: unknown): string[] {
  const props = Object.keys(op.body?.properties ?? {});
  const present = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
  return [...new Set([...props, ...present])];
}

type Mutation = { kind: string; apply(p: Parts): Parts };

const mutationArb = (op: Operation): fc.Arbitrary<Mutation> => {
  const withBody = op.body !== undefined;
  const keyOf = (p: Parts, i: number) => {
    const keys = bodyKeys(op, p.body);
    return keys.length ? keys[i % keys.length]! : 'x';
  };
  const setKey = (p: Parts, key: string, value: unknown): Parts => ({
    ...p,
    body:
      p.body && typeof p.body === 'object' && !Array.isArray(p.body)
        ? { ...p.body, [key]: value }
        : { [key]: value },
  });
  const mutations: fc.Arbitrary<Mutation>[] = [
    fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => ({
      kind: 'odd path or query value',
      apply: (p) => {
        const names = [
          ...Object.keys(p.pathValues),
          ...op.params.filter((q) => q.in === 'query').map((q) => q.name),
        ];
        if (names.length === 0)
          return { ...p, query: [...p.query, ['x', oddStrings[j % oddStrings.length]!]] };
        const name = names[i % names.length]!;
        const odd = [
          ...oddStrings,
          'a'.repeat(257),
          'a'.repeat(1100),
          '-1',
          '0',
          '1.5',
          '1e3',
          '0x10',
          'Infinity',
          ' 1',
        ][j % (oddStrings.length + 9)]!;
        if (name in p.pathValues) return { ...p, pathValues: { ...p.pathValues, [name]: `\u0001raw${odd}` } };
        return { ...p, query: [...p.query.filter(([k]) => k !== name), [name, odd]] };
      },
    })),
    fc
      .tuple(
        fc.constantFrom('unknown', 'duplicate', '__proto__', 'array', 'empty', 'many keys', 'huge value'),
        fc.nat(),
      )
      .map(([how, i]) => ({
        kind: `query ${how}`,
        apply: (p) => {
          const q = op.params.filter((x) => x.in === 'query').map((x) => x.name);
          const name = q.length ? q[i % q.length]! : 'limit';
          const extra: Record<string, [string, string][]> = {
            unknown: [['zzz', '1']],
            duplicate: [
              [name, '1'],
              [name, '2'],
            ],
            __proto__: [['__proto__', 'x']],
            array: [[`${name}[]`, '1']],
            empty: [[name, '']],
            'many keys': Array.from({ length: 3000 }, (_, j) => [`k${j}`, '1'] as [string, string]),
            'huge value': [[name, 'a'.repeat(100_000)]],
          };
          const drop = how === 'duplicate' || how === 'huge value';
          return { ...p, query: [...p.query.filter(([k]) => !drop || k !== name), ...extra[how]!] };
        },
      })),
    fc.constantFrom('none', 'wrong', 'read', 'basic', 'empty bearer').map((how) => ({
      kind: `key ${how}`,
      apply: (p) => ({ ...p, keyMode: how }),
    })),
    fc.constantFrom('PATCH', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'POST', 'GET').map((m) => ({
      kind: `method ${m}`,
      apply: (p) => ({ ...p, methodOverride: m }),
    })),
  ];
  if (withBody) {
    mutations.push(
      fc.nat().map((i) => ({
        kind: 'missing field',
        apply: (p) => {
          if (!p.body || typeof p.body !== 'object' || Array.isArray(p.body)) return { ...p, body: {} };
          const keys = Object.keys(p.body);
          const drop = (op.body?.required ?? keys)[i % Math.max(1, (op.body?.required ?? keys).length)];
          const { [drop ?? '']: _gone, ...rest } = p.body as Record<string, unknown>;
          return { ...p, body: rest };
        },
      })),
      fc.tuple(fc.nat(), fc.nat()).map(([i, n]) => ({
        kind: 'wrong type',
        apply: (p: Parts) => {
          const k = keyOf(p, i);
          return setKey(p, k, wrongTypeValue(op.body?.properties?.[k] ?? {}, n));
        },
      })),
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), junkArb).map(([k, v]) => ({
        kind: 'unknown field',
        apply: (p) => setKey(p, `x${k}`, v),
      })),
      fc.tuple(fc.nat(), fc.constantFrom(257, 2001, 20_001, 70_000, 300_000)).map(([i, n]) => ({
        kind: `huge string ${n}`,
        apply: (p) => setKey(p, keyOf(p, i), 'é'.repeat(n)),
      })),
      fc.tuple(fc.nat(), fc.constantFrom(...oddStrings)).map(([i, s]) => ({
        kind: 'odd string',
        apply: (p) => setKey(p, keyOf(p, i), s),
      })),
      fc.tuple(fc.nat(), junkArb).map(([i, v]) => ({
        kind: 'nested junk',
        apply: (p) => setKey(p, keyOf(p, i), v),
      })),
      fc.oneof(junkArb, fc.constantFrom([], [{}], 'text', 7, null)).map((v) => ({
        kind: 'body not an object',
        apply: (p) => ({ ...p, body: v }),
      })),
      fc
        .constantFrom<(s: string) => Buffer>(
          (s) => Buffer.from(s.slice(0, Math.max(0, s.length - 1))),
          (s) => Buffer.from(`${s}}`),
          (s) => Buffer.from(`${s} trailing`),
          (s) => Buffer.from(s.replace(/:/, ':NaN,"q":')),
          (s) => Buffer.from(s.replace(/"/g, "'")),
          (s) => Buffer.from(`\uFEFF${s}`),
          () => Buffer.alloc(0),
          () => Buffer.from(' '),
          () => Buffer.from('nul\u0000l'),
          (s) => Buffer.from(`{"__proto__":{"polluted":1},${s.slice(1)}`),
          (s) => Buffer.from(`{"constructor":{"prototype":{"polluted":1}},${s.slice(1)}`),
          (s) => Buffer.from(s.replace(/}$/, ',"__proto__":{"polluted":1}}')),
          (s) => Buffer.from(`${s.slice(0, -1)},"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
          (s) => Buffer.from(`${s.slice(0, -1)},"deep":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`),
          (s) => Buffer.concat([Buffer.from(s.slice(0, -1)), Buffer.from([0x22, 0xff, 0xfe, 0x22, 0x7d])]),
        )
        .map((f) => ({
          kind: 'bad JSON',
          apply: (p) => ({ ...p, raw: f(JSON.stringify(p.body ?? {})) }),
        })),
      fc
        .constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          'application/jsonx',
          'application/xml',
          '',
        )
        .map((ct) => ({ kind: `content-type ${ct || '(none)'}`, apply: (p) => ({ ...p, contentType: ct }) })),
    );
  } else {
    mutations.push(
      junkArb.map((v) => ({ kind: 'unexpected body', apply: (p) => ({ ...p, hasBody: true, body: v }) })),
    );
  }
  return fc.oneof(...mutations);
};

/** percent-encoding that also sends a lone surrogate, as the (invalid) UTF-8 bytes it would have */
function pct(s: string): string {
  return s
    .split(/([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/)
    .map((part) => {
      if (part.length !== 1 || !/[\uD800-\uDFFF]/.test(part)) return encodeURIComponent(part);
      const u = part.charCodeAt(0);
      return [0xed, 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    })
    .join('');
}

function render(op: Operation, kind: string, p: Parts, keys: Keys): FuzzRequest {
  let url = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = p.pathValues[name] ?? '';
    // `\u0001raw` marks a value sent as it is (already or wrongly percent-encoded)
    return v.startsWith('\u0001raw') ? v.slice(4) : pct(v);
  });
  if (p.query.length) url += `?${p.query.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`;
  const headers: Record<string, string> = {};
  const mode = p.keyMode ?? (op.access === 'admin' ? 'admin' : op.access === 'read' ? 'read' : 'none');
  if (mode === 'admin') headers.authorization = `Bearer ${keys.admin}`;
  else if (mode === 'read') headers['x-api-key'] = keys.read;
  else if (mode === 'wrong') headers.authorization = 'Bearer not-a-key';
  else if (mode === 'basic') headers.authorization = 'Basic YWRtaW46YWRtaW4=';
  else if (mode === 'empty bearer') headers.authorization = 'Bearer ';
  let payload: string | Buffer | undefined;
  if (p.raw !== undefined) payload = p.raw;
  else if (p.hasBody && p.body !== undefined) payload = JSON.stringify(p.body);
  if (payload !== undefined) headers['content-type'] = p.contentType ?? 'application/json';
  if (p.contentType === '') delete headers['content-type'];
  return {
    op,
    kind,
    method: p.methodOverride ?? op.method,
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  };
}

/** a request for one operation: valid (by its schemas) half the time, one malformation otherwise */
function requestArb(op: Operation, known: Known, keys: Keys): fc.Arbitrary<FuzzRequest> {
  const valid = validParts(op, known);
  return fc.oneof(
    valid.map((p) => render(op, 'valid', p, keys)),
    fc.tuple(valid, mutationArb(op)).map(([p, m]) => render(op, m.kind, m.apply(p), keys)),
  );
}

/** codes about one input: their errors must say which (`field`) */
const FIELD_CODES = new Set([
  'INVALID_INPUT',
  'PARSE_ERROR',
  'UNKNOWN_SCENARIO',
  'UNKNOWN_ITEM',
  'UNKNOWN_USER',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'FORBIDDEN',
]);
/** 5xx codes that mean "not available now", not "broken" */
const UNAVAILABLE = new Set(['MODEL_MISSING', 'ENCODER_UNAVAILABLE', 'GENERATOR_UNAVAILABLE', 'INTERRUPTED']);

export interface Checker {
  /** the problem with this response, or undefined */
  check(
    req: FuzzRequest,
    res: { statusCode: number; body: string; headers: Record<string, unknown> },
  ): string | undefined;
}

export function responseChecker(doc: Record<string, unknown>): Checker {
  const d = doc as unknown as OpenApiDoc;
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  const errorValid = ajv.compile(d.components.schemas.Error!);
  const compiled = new Map<JsonSchema, ReturnType<typeof ajv.compile>>();
  return {
    check(req, res) {
      const status = res.statusCode;
      // HEAD answers carry no body
      if (req.method === 'HEAD') return status >= 500 ? `status ${status} on HEAD` : undefined;
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        return `status ${status}: body is not JSON: ${res.body.slice(0, 120)}`;
      }
      if (/\n\s+at |at .*\.[jt]s:\d+/.test(res.body)) return `status ${status}: body carries a stack trace`;
      if (status >= 400) {
        if (!errorValid(json))
          return `status ${status}: error body off the documented shape: ${ajv.errorsText(errorValid.errors)} ${res.body.slice(0, 200)}`;
        const e = (json as { error: { code: keyof typeof ERROR_CATALOGUE; field?: string; message: string } })
          .error;
        if (status >= 500 && !(status === 503 && UNAVAILABLE.has(e.code)))
          return `status ${status} ${e.code}: ${e.message}`;
        if (ERROR_CATALOGUE[e.code].status !== status)
          return `status ${status} with code ${e.code} (the catalogue says ${ERROR_CATALOGUE[e.code].status})`;
        if (FIELD_CODES.has(e.code) && !e.field)
          return `status ${status} ${e.code} without a field: ${e.message}`;
        if (e.field !== undefined && /undefined|null|\[object/.test(e.field))
          return `status ${status} ${e.code}: field "${e.field}" names no input`;
        if (e.message.length > 1000)
          return `status ${status} ${e.code}: a ${e.message.length}-character message`;
        return undefined;
      }
      if (req.kind !== 'valid' && !req.kind.startsWith('method')) {
        // a malformed request may still be acceptable (an unknown query key is not; a wrong key never is)
        if (
          req.kind.startsWith('key ') &&
          req.op.access !== 'public' &&
          !(req.kind === 'key read' && req.op.access === 'read')
        )
          return `status ${status} for ${req.kind} on a ${req.op.access} route`;
      }
      if (status !== req.op.success.status && status >= 200 && status < 300 && req.method === req.op.method)
        return `status ${status}, documented ${req.op.success.status}`;
      const schema = req.method === req.op.method ? req.op.success.schema : undefined;
      if (schema) {
        const v = compiled.get(schema) ?? ajv.compile(schema);
        compiled.set(schema, v);
        if (!v(json))
          return `status ${status}: response off the documented schema: ${ajv.errorsText(v.errors)}`;
      }
      return undefined;
    },
  };
}

export interface FuzzReport {
  cases: number;
  operations: number;
  /** per operation: cases, valid ones, counts per status, and why valid-looking ones were refused */
  byOperation: Record<
    string,
    { cases: number; valid: number; statuses: Record<string, number>; refused: Record<string, number> }
  >;
  failures: { problem: string; request: Omit<FuzzRequest, 'op' | 'payload'> & { payload?: string } }[];
}

export interface FuzzTarget {
  inject(o: InjectOptions): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>;
  /** a number that changes whenever the store is written (SQLite total_changes) */
  writes(): number;
  /** what the engine holds in memory, as far as an answer shows it (a recommendation) */
  memory?(): Promise<string>;
}

/**
 * Runs `runs` seeded rounds over every operation of the document and collects every failure. A
 * round is one request, or with `concurrency` > 1 that many sent at once (races between writes
 * and reads; the store is then not checked for writes by rejected requests, as accepted ones
 * write alongside them).
 */
export async function fuzzApi(
  target: FuzzTarget,
  doc: Record<string, unknown>,
  o: { runs: number; seed: number; known: Known; keys: Keys; concurrency?: number; maxFailures?: number },
): Promise<FuzzReport> {
  const ops = operationsOf(doc);
  const checker = responseChecker(doc);
  const report: FuzzReport = { cases: 0, operations: ops.length, byOperation: {}, failures: [] };
  const seen = new Set<string>();
  const k = o.concurrency ?? 1;
  const arb = fc.oneof(...ops.map((op) => requestArb(op, o.known, o.keys)));
  const one = async (req: FuzzRequest) => {
    const name = `${req.op.method} ${req.op.path}`;
    const stats = report.byOperation[name] ?? { cases: 0, valid: 0, statuses: {}, refused: {} };
    report.byOperation[name] = stats;
    const before = target.writes();
    const watch = k === 1 && req.method !== 'GET' && target.memory;
    const held = watch ? await target.memory!() : undefined;
    let res: Awaited<ReturnType<FuzzTarget['inject']>>;
    let problem: string | undefined;
    try {
      res = await target.inject({
        method: req.method as InjectOptions['method'],
        url: req.url,
        headers: req.headers,
        ...(req.payload !== undefined ? { payload: req.payload } : {}),
      });
      problem = checker.check(req, res);
      if (!problem && k === 1 && res.statusCode >= 400 && target.writes() !== before)
        problem = `status ${res.statusCode}: a rejected request wrote to the store`;
      if (!problem && watch && res.statusCode >= 400 && (await target.memory!()) !== held)
        problem = `status ${res.statusCode}: a rejected request changed the engine's answers`;
      if (!problem && ({} as Record<string, unknown>).polluted !== undefined)
        problem = `status ${res.statusCode}: Object.prototype was polluted`;
    } catch (e) {
      res = { statusCode: 0, body: '', headers: {} };
      problem = `request threw: ${String(e)}`;
    }
    report.cases++;
    stats.cases++;
    if (req.kind === 'valid') stats.valid++;
    stats.statuses[res.statusCode] = (stats.statuses[res.statusCode] ?? 0) + 1;
    if (req.kind === 'valid' && res.statusCode >= 400 && !problem) {
      const e = (JSON.parse(res.body) as { error: { code: string; field?: string } }).error;
      const why = `${e.code} ${String(e.field ?? '').replace(/\[\d+\]/g, '[i]')}`;
      stats.refused[why] = (stats.refused[why] ?? 0) + 1;
    }
    if (problem) {
      const key = `${name} ${problem.replace(/\d+/g, 'N').slice(0, 80)}`;
      if (!seen.has(key) && report.failures.length < (o.maxFailures ?? 50)) {
        seen.add(key);
        const { op: _op, payload, ...rest } = req;
        report.failures.push({
          problem: `${name}: ${problem}`,
          request: {
            ...rest,
            url: rest.url.slice(0, 300),
            ...(payload !== undefined ? { payload: String(payload).slice(0, 300) } : {}),
          },
        });
      }
    }
  };
  await fc.assert(
    fc.asyncProperty(fc.array(arb, { minLength: k, maxLength: k }), async (reqs) => {
      await Promise.all(reqs.map(one));
    }),
    { numRuns: o.runs, seed: o.seed, endOnFailure: true },
  );
  return report;
}
