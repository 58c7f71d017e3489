import { z } from 'zod';
import { RecError } from '../../core/errors.ts';
import { idSchema } from '../../core/types.ts';
import type { ServerContext } from '../context.ts';

export const MAX_BATCH = 1000;

export const idParams = z.strictObject({ id: idSchema });

/** `?n=` as an integer in [1, max]; query strings arrive as text. */
export const countParam = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);

/** Throws UNKNOWN_SCENARIO naming `field` unless the scenario is registered. */
export async function requireScenario(ctx: ServerContext, scenario: string, field: string): Promise<void> {
  if ((await ctx.scenarioIds()).has(scenario)) return;
  ctx.catalogChanged(); // another process may have added it since the cache was filled
  if ((await ctx.scenarioIds()).has(scenario)) return;
  throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${scenario}"`, { field });
}
