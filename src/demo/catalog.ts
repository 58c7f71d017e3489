/**
 * The demo's seed material (catalog.json): ten tastes, each present in every scenario, so a
 * simulated rock fan buys guitar gear, plays rock, watches concert videos and reads music news.
 * Everything in it is invented for the demo; no real dataset is copied. Validated once on load,
 * so a hand edit that breaks a field fails here, naming it, instead of inside the generator.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RecError } from '../core/errors.ts';
import { fieldPath } from '../core/validate.ts';

const text = z.string().min(1);

const shopSeed = z.strictObject({
  name: text,
  /** leaf of the category path under the theme's shop category */
  leaf: text,
  tags: z.array(text),
  caption: text,
  visualTags: z.array(text),
});

const musicSeed = z.strictObject({
  title: text,
  artist: text,
  genre: text,
  mood: text,
  /** beats per minute */
  tempo: z.number().positive(),
  instruments: text,
});

const videoSeed = z.strictObject({
  title: text,
  caption: text,
  visualTags: z.array(text).min(1),
  minutes: z.number().positive(),
});

const newsSeed = z.strictObject({ headline: text, lede: text });

const themeSchema = z.strictObject({
  id: text,
  label: text,
  shopCategory: text,
  newsSection: text,
  shop: z.array(shopSeed).min(1),
  music: z.array(musicSeed).min(1),
  video: z.array(videoSeed).min(1),
  news: z.array(newsSeed).min(1),
});

const catalogSchema = z.strictObject({ themes: z.array(themeSchema).min(2) });

export type Theme = z.infer<typeof themeSchema>;

/** Parses the catalog file's contents; `source` names it in errors. */
export function parseCatalog(json: string, source = 'catalog.json'): Theme[] {
  const r = catalogSchema.safeParse(JSON.parse(json));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new RecError('INVALID_INPUT', `${source}: ${issue.message}`, { field: fieldPath(issue.path) });
  }
  return r.data.themes;
}

export const THEMES: readonly Theme[] = parseCatalog(
  readFileSync(new URL('./catalog.json', import.meta.url), 'utf8'),
);
