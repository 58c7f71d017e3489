/** Public API of the encoding step (see docs/encoding.md). */
export { type EmbeddingCache, openEmbeddingCache, storeEmbeddingCache, textHash } from './cache.ts';
export {
  type EncodeOptions,
  type EncodeReport,
  encodeCatalog,
  encodeItems,
  type ItemVectors,
  itemVectorNamespace,
  loadItemVectors,
} from './catalog.ts';
export { createEncoder } from './create.ts';
export { DEFAULT_FUSION, type FusionWeights, fuseItemVector } from './fuse.ts';
export { DEFAULT_TEMPLATE, type Enrichment, unifiedText } from './template.ts';
export type { Encoder } from './types.ts';
