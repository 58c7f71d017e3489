import type { Scenario } from '../../core/types.ts';

/**
 * Event weights of the shared datasets' scenarios. Amazon reviews stand in for purchases, so
 * `purchase` is the unit; lighter signals are there for events added later through the API.
 */
const ECOMMERCE_WEIGHTS: Record<string, number> = {
  view: 0.1,
  click: 0.2,
  cart: 0.5,
  like: 0.5,
  rate: 0.8,
  purchase: 1,
  dislike: -1,
};

export const MUSIC_WEIGHTS: Record<string, number> = {
  play: 1,
  complete: 1,
  like: 1,
  tag: 0.8,
  share: 0.8,
  skip: -0.3,
  dislike: -1,
};

export const SOCIAL_WEIGHTS: Record<string, number> = { follow: 1, like: 0.5, view: 0.1 };

export const ecommerce = (id: string, name: string): Scenario => ({
  id,
  kind: 'ecommerce',
  name,
  eventWeights: ECOMMERCE_WEIGHTS,
  allowRepeats: false,
});
