/** Public API of the optional generative model (see docs/encoding.md, "Generative model"). */
export { createGenerator } from './create.ts';
export { type EnrichReport, enrichCatalog, type StoredEnrichment } from './enrich.ts';
export {
  characteristicTerms,
  describeInterest,
  type InterestInput,
  type InterestSummary,
  summariseInterest,
  type TermStats,
  termStats,
} from './summarise.ts';
export type { ChatMessage, Generator } from './types.ts';
