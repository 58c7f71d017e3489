/**
 * The item attributes filters read, by the engine's dense item index: columns kept current as
 * items are upserted, and the type of every field, which the compiler checks expressions against.
 * Built-in fields come from the Item schema; every key of `attributes` is a field too, typed by
 * the values the catalog has held (a key seen with numbers and strings is `mixed`).
 */
import type { Item } from '../../core/types.ts';

export type FieldType = 'string' | 'number' | 'boolean' | 'time' | 'list' | 'mixed';

type Scalar = string | number | boolean;

/** the built-in fields and their types (`category` is the leaf of the path, `category_path` all of it) */
const BUILTIN_FIELDS: Readonly<Record<string, FieldType>> = {
  id: 'string',
  scenario: 'string',
  title: 'string',
  category: 'string',
  category_path: 'list',
  tags: 'list',
  available: 'boolean',
  created_at: 'time',
};

interface AttributeColumn {
  types: Set<'string' | 'number' | 'boolean'>;
  values: (Scalar | undefined)[];
}

/** how a compiled filter reads one field of an item: undefined = the item has no value */
export type FieldReader = (item: number) => Scalar | readonly string[] | undefined;

export class ItemFacts {
  private readonly ids: string[] = [];
  private readonly scenario: string[] = [];
  private readonly title: string[] = [];
  /** titles lower-cased once: `title contains` runs over whole scenarios when a filter refills */
  private readonly titleLower: string[] = [];
  private readonly category: (readonly string[] | undefined)[] = [];
  private readonly tags: (readonly string[] | undefined)[] = [];
  private readonly createdAt: (number | undefined)[] = [];
  private readonly attrs = new Map<string, AttributeColumn>();
  /** bumped when a field appears or changes type: compiled filters of an older version are stale */
  version = 0;

  /** whether an item may be served now: the engine points this at its live availability */
  available: (item: number) => boolean = () => true;

  set(i: number, item: Item): void {
    this.ids[i] = item.id;
    this.scenario[i] = item.scenario;
    this.title[i] = item.title ?? '';
    this.titleLower[i] = this.title[i]!.toLowerCase();
    this.category[i] = item.category?.length ? item.category : undefined;
    this.tags[i] = item.tags;
    this.createdAt[i] = item.createdAt;
    const a = item.attributes ?? {};
    for (const [key, col] of this.attrs) if (!(key in a)) col.values[i] = undefined;
    for (const [key, v] of Object.entries(a)) {
      let col = this.attrs.get(key);
      if (!col) {
        col = { types: new Set(), values: [] };
        this.attrs.set(key, col);
        this.version++;
      }
      const t = typeof v as 'string' | 'number' | 'boolean';
      if (!col.types.has(t)) {
        col.types.add(t);
        this.version++;
      }
      col.values[i] = v;
    }
  }

  /** the attribute key a field name reads (`attributes.price` or `price`), or undefined for a built-in */
  private attributeKey(name: string): string | undefined {
    if (name.startsWith('attributes.')) return name.slice('attributes.'.length);
    return name in BUILTIN_FIELDS ? undefined : name;
  }

  fieldType(name: string): FieldType | undefined {
    const key = this.attributeKey(name);
    if (key === undefined) return BUILTIN_FIELDS[name];
    const col = this.attrs.get(key);
    if (!col || col.types.size === 0) return undefined;
    return col.types.size > 1 ? 'mixed' : ([...col.types][0] as FieldType);
  }

  /** names of the fields there are, for an error about one that is not */
  fieldNames(): string[] {
    return [...Object.keys(BUILTIN_FIELDS), ...[...this.attrs.keys()].sort()];
  }

  reader(name: string): FieldReader {
    const key = this.attributeKey(name);
    if (key !== undefined) {
      const values = this.attrs.get(key)?.values ?? [];
      return (i) => values[i];
    }
    switch (name) {
      case 'id':
        return (i) => this.ids[i];
      case 'scenario':
        return (i) => this.scenario[i];
      case 'title':
        return (i) => this.title[i];
      case 'category':
        return (i) => {
          const c = this.category[i];
          return c ? c[c.length - 1] : undefined;
        };
      case 'category_path':
        return (i) => this.category[i];
      case 'tags':
        return (i) => this.tags[i];
      case 'available':
        return (i) => this.ids[i] !== undefined && this.available(i);
      default:
        return (i) => this.createdAt[i];
    }
  }

  /** a string field's values lower-cased (case-insensitive `contains`) */
  lowerReader(name: string): (item: number) => string | undefined {
    if (name === 'title') return (i) => this.titleLower[i];
    const read = this.reader(name);
    return (i) => {
      const v = read(i);
      return typeof v === 'string' ? v.toLowerCase() : undefined;
    };
  }

  /** the leaf category of an item (per-scenario `maxPerCategory`), undefined without one */
  leafCategory(i: number): string | undefined {
    const c = this.category[i];
    return c ? c[c.length - 1] : undefined;
  }

  createdAtOf(i: number): number | undefined {
    return this.createdAt[i];
  }
}
