/**
 * Named filters, stored server-side and referenced by name from requests (`filterName`,
 * `promote.filterName`). They are settings, so they live in the data store's meta values (one
 * JSON document under `filters`), through the Store interface only: every backend keeps them.
 * Writes are serialised within the process; two processes writing at the same instant may lose
 * one of the two writes (admin traffic, not request traffic).
 */
import { z } from 'zod';
import { RecError } from '../core/errors.ts';
import type { Store } from '../store/types.ts';

const META_KEY = 'filters';

export const filterNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be 1-64 letters, digits, "_", "." or "-"' });

/** a filter as a request or a named filter gives it: the text form or the JSON form */
export const filterInputSchema = z.union([z.string(), z.boolean(), z.record(z.string(), z.unknown())]);
export type FilterInput = z.infer<typeof filterInputSchema>;

export const namedFilterBodySchema = z.strictObject({
  filter: filterInputSchema,
  description: z.string().max(500).optional(),
});
export type NamedFilterBody = z.infer<typeof namedFilterBodySchema>;

export interface NamedFilter {
  name: string;
  filter: FilterInput;
  description?: string;
  /** epoch ms of the last write */
  updatedAt: number;
}

type Stored = Record<string, Omit<NamedFilter, 'name'>>;

export class NamedFilters {
  private raw: string | undefined;
  private parsed: Stored = {};
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Pick<Store, 'getMeta' | 'setMeta'>) {}

  /** every named filter, read from the store (parsed once per stored version) */
  private async read(): Promise<Stored> {
    const raw = await this.store.getMeta(META_KEY);
    if (raw !== this.raw) {
      this.parsed = raw ? (JSON.parse(raw) as Stored) : {};
      this.raw = raw;
    }
    return this.parsed;
  }

  async list(): Promise<NamedFilter[]> {
    const all = await this.read();
    return Object.keys(all)
      .sort()
      .map((name) => ({ name, ...all[name]! }));
  }

  async get(name: string): Promise<NamedFilter | undefined> {
    const all = await this.read();
    const f = Object.hasOwn(all, name) ? all[name] : undefined;
    return f ? { name, ...f } : undefined;
  }

  /** the named filter, or a 400 naming `field` when there is none */
  async require(name: string, field: string): Promise<NamedFilter> {
    const f = await this.get(name);
    if (!f) throw new RecError('INVALID_INPUT', `no named filter "${name}"`, { field });
    return f;
  }

  /** stores the filter (already checked by the caller) under its name */
  set(name: string, body: NamedFilterBody): Promise<NamedFilter> {
    return this.serialised(async () => {
      const all = { ...(await this.read()) };
      const entry = {
        filter: body.filter,
        ...(body.description !== undefined ? { description: body.description } : {}),
        updatedAt: Date.now(),
      };
      all[name] = entry;
      await this.store.setMeta(META_KEY, JSON.stringify(all));
      return { name, ...entry };
    });
  }

  delete(name: string): Promise<boolean> {
    return this.serialised(async () => {
      const all = { ...(await this.read()) };
      if (!Object.hasOwn(all, name)) return false;
      delete all[name];
      await this.store.setMeta(META_KEY, JSON.stringify(all));
      return true;
    });
  }

  private serialised<T>(f: () => Promise<T>): Promise<T> {
    const p = this.writing.then(f, f);
    this.writing = p.catch(() => {});
    return p;
  }
}
