/** Public API of the encoding step (see docs/encoding.md). */

export { DEFAULT_FUSION, DEFAULT_TEMPLATE, type FusionWeights } from '../config/fusion.ts';
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
export { fuseItemVector } from './fuse.ts';
export { type Enrichment, unifiedText } from './template.ts';
export type { Encoder } from './types.ts';
