import { createHmac } from 'node:crypto';

export type Pseudonymiser = (userId: string) => string;

/**
 * With pseudonymisation on, user ids are replaced at every edge by a keyed hash, so the store never
 * holds the raw id. The same secret always maps an id to the same pseudonym.
 */
export function createPseudonymiser(opts: { pseudonymise: boolean; secret: string }): Pseudonymiser {
  if (!opts.pseudonymise) return (id) => id;
  const secret = opts.secret;
  return (id) => `p_${createHmac('sha256', secret).update(id, 'utf8').digest('hex').slice(0, 32)}`;
}
