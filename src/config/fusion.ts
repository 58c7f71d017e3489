/**
 * Defaults of the `fusion` section that the encoders apply: the unified-text template, the fields a
 * template may name, and the weights of each modality in an item vector (docs/encoding.md).
 */

/**
 * Default template: one segment per line; `{field}` placeholders are filled from the item, and a
 * segment whose placeholders are all empty is dropped. Segments are joined with ". ".
 */
export const DEFAULT_TEMPLATE: readonly string[] = [
  '{title}',
  '{description}',
  '{generated}',
  'category: {category}',
  'tags: {tags}',
  'image: {imageCaption}',
  'visual: {visualTags}',
  'sound: {audio}',
  '{scenario}',
];

export const TEMPLATE_FIELDS = [
  'title',
  'description',
  'generated',
  'category',
  'tags',
  'imageCaption',
  'visualTags',
  'audio',
  'attributes',
  'scenario',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** Placeholders a template uses that the template does not know (config validation). */
export function unknownPlaceholders(template: readonly string[]): string[] {
  const known = new Set<string>(TEMPLATE_FIELDS);
  return [...new Set(template.flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)))].filter(
    (n) => !known.has(n),
  );
}

export interface FusionWeights {
  text: number;
  image: number;
  audio: number;
  ngram: number;
  /** below this readable share the n-gram channel is added */
  minCoverage: number;
}

export const DEFAULT_FUSION: FusionWeights = { text: 1, image: 0.5, audio: 0.5, ngram: 1, minCoverage: 0.8 };
