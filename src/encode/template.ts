/**
 * Multimodal fusion, text side: one documented template turns every modality an item carries
 * into one unified text, so that items from all scenarios land in one semantic space. See
 * docs/encoding.md for the fields and the rules.
 */
import { DEFAULT_TEMPLATE, type TemplateField } from '../config/fusion.ts';
import type { Item, Scenario, ScenarioKind } from '../core/types.ts';

/** Words the scenario kind contributes, so a model reads "music" or "shop" not an enum value. */
const KIND_WORDS: Record<ScenarioKind, string> = {
  ecommerce: 'shop product',
  music: 'music',
  video: 'video',
  news: 'news article',
  social: 'social',
  custom: '',
};

/** Text a generative model added (missing description, keywords); kept apart from the source item. */
export interface Enrichment {
  description?: string;
  keywords?: string[];
}

export interface TemplateOptions {
  template?: readonly string[];
  /** cut of the description, in characters (long texts cost model time and say little more) */
  maxDescriptionChars?: number;
  enrichment?: Enrichment;
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function list(xs: readonly string[] | undefined, sep = ', '): string {
  return (xs ?? []).map(clean).filter(Boolean).join(sep);
}

/**
 * Audio descriptors as `rock, calm, tempo 120`: text values alone (the keys genre, mood are the
 * same for every item and would only pull all items together), numbers with their key.
 */
function audioText(d: Record<string, string | number> | undefined): string {
  if (!d) return '';
  return Object.entries(d)
    .map(([k, v]) => clean(typeof v === 'number' ? `${k} ${v}` : v))
    .filter(Boolean)
    .join(', ');
}

function fieldValues(
  item: Item,
  scenario: Scenario | undefined,
  opts: TemplateOptions,
): Record<TemplateField, string> {
  const maxDesc = opts.maxDescriptionChars ?? 600;
  const desc = clean(item.description ?? '');
  const gen = opts.enrichment;
  return {
    title: clean(item.title),
    description: desc.length > maxDesc ? `${desc.slice(0, maxDesc).replace(/\s+\S*$/, '')}…` : desc,
    // generated text only fills what the item lacks
    generated: clean(
      [desc ? '' : (gen?.description ?? ''), (item.tags?.length ?? 0) > 0 ? '' : list(gen?.keywords)]
        .map((s) => clean(s).replace(/[.\s]+$/, ''))
        .filter(Boolean)
        .join('. '),
    ),
    category: list(item.category, ' > '),
    tags: list(item.tags),
    imageCaption: clean(item.image?.caption ?? ''),
    visualTags: list(item.image?.visualTags),
    audio: audioText(item.audio?.descriptors),
    attributes: Object.entries(item.attributes ?? {})
      .map(([k, v]) => clean(`${k} ${String(v)}`))
      .join(', '),
    scenario: scenario ? KIND_WORDS[scenario.kind] : '',
  };
}

/**
 * The unified text of an item: the template filled from title, description, category path, tags,
 * image caption and visual tags, audio descriptors and the scenario kind.
 */
export function unifiedText(item: Item, scenario?: Scenario, opts: TemplateOptions = {}): string {
  const values = fieldValues(item, scenario, opts);
  const out: string[] = [];
  for (const segment of opts.template ?? DEFAULT_TEMPLATE) {
    let any = false;
    const filled = segment.replace(/\{(\w+)\}/g, (m, name: string) => {
      if (!(name in values)) return m;
      const v = values[name as TemplateField];
      if (v) any = true;
      return v;
    });
    if (any) out.push(clean(filled).replace(/[.\s]+$/, ''));
  }
  return out.join('. ');
}
