import type { z } from 'zod';
import { RecError } from './errors.ts';

/** Turns a zod path like ["events", 3, "ts"] into `events[3].ts`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/**
 * Validates one value at an edge. The error names the first offending field and, when the value
 * came from a file, its `file:line`.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  opts: { prefix?: string; location?: string } = {},
): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = [...(opts.prefix ? [opts.prefix] : []), ...issue.path];
  const field = fieldPath(path);
  const message = issue.code === 'unrecognized_keys' ? unknownKeys(issue.keys) : issue.message;
  return invalid(field, message, opts.location, r.error.issues.length);
}

/** zod lists every unknown key in full: a request with thousands of them would get them all back */
function unknownKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k.length > 64 ? `${k.slice(0, 64)}…` : k));
  const more = keys.length > shown.length ? ` and ${keys.length - shown.length} more` : '';
  return `unknown field${keys.length === 1 ? '' : 's'} ${shown.join(', ')}${more}`;
}

function invalid(field: string, message: string, location: string | undefined, count: number): never {
  throw new RecError('INVALID_INPUT', message, {
    field,
    ...(location ? { location } : {}),
    details: { issues: count },
  });
}
