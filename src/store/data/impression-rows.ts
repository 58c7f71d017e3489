/** The row shape both backends store an impression in, and its conversions. */
import type { Impression } from './types.ts';

export type ImpressionRow = {
  seq: number;
  id: string;
  user: string;
  scenario: string;
  ts: number;
  model_version: string;
  experiment: string | null;
  variant: string | null;
  json: string;
};

export function toImpression(r: Omit<ImpressionRow, 'seq'>): Impression {
  const body = JSON.parse(r.json) as Pick<Impression, 'items' | 'context' | 'randomized'>;
  return {
    id: r.id,
    user: r.user,
    scenario: r.scenario,
    ts: r.ts,
    modelVersion: r.model_version,
    ...(r.experiment !== null ? { experiment: r.experiment } : {}),
    ...(r.variant !== null ? { variant: r.variant } : {}),
    ...(body.context ? { context: body.context } : {}),
    items: body.items,
    ...(body.randomized ? { randomized: body.randomized } : {}),
  };
}

/** what is not a column: the list, the context and the randomization, as one JSON document */
export const bodyOf = (i: Impression): string =>
  JSON.stringify({
    items: i.items,
    ...(i.context ? { context: i.context } : {}),
    ...(i.randomized ? { randomized: i.randomized } : {}),
  });
