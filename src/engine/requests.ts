/** Request schemas of the library API, validated at the edge (the HTTP layer reuses them). */
import { z } from 'zod';
import { contextSchema, idSchema } from '../core/types.ts';

export const MAX_N = 1000;
/** items per answer when the request does not say */
export const DEFAULT_N = 10;

export const recommendRequestSchema = z.strictObject({
  user: idSchema,
  scenario: idSchema,
  n: z.number().int().min(1).max(MAX_N).default(DEFAULT_N),
  context: contextSchema.optional(),
  diversity: z.number().min(0).max(1).optional(),
  exclude: z.array(idSchema).max(10_000).optional(),
});
