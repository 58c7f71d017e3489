/**
 * Enrichment: a generative model fills an item's missing description or keywords from its title
 * and modal tags, before encoding. The source item is never changed: generated text is stored
 * apart (blob namespace `enrich`, marked `generated` with the model's id) and the unified-text
 * template reads it only for what the item lacks. Cached by a hash of the prompt's inputs, so an
 * unchanged item is never sent twice. A failing model never blocks or loses anything: the item
 * simply stays unenriched and is counted.
 */
import { createHash } from 'node:crypto';
import { RecError } from '../core/errors.ts';
import type { Item, Scenario } from '../core/types.ts';
import { ENRICH_NAMESPACE } from '../encode/catalog.ts';
import type { Store } from '../store/types.ts';
import type { Generator } from './types.ts';

export interface StoredEnrichment {
  description?: string;
  keywords?: string[];
  generated: true;
  /** id of the generator that wrote it */
  by: string;
  /** hash of the inputs it was made from */
  source: string;
}

export interface EnrichReport {
  considered: number;
  generated: number;
  cached: number;
  failed: number;
  interrupted: boolean;
}

export interface EnrichOptions {
  scenario?: string;
  /** requests in flight */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
  /** one line per item the model failed on (the run goes on) */
  onFailure?: (item: string, error: unknown) => void;
}

/** What the item lacks that a model may fill. */
function missingFields(item: Item): ('description' | 'keywords')[] {
  const out: ('description' | 'keywords')[] = [];
  if (!item.description?.trim()) out.push('description');
  if (!item.tags || item.tags.length === 0) out.push('keywords');
  return out;
}

function facts(item: Item, scenario?: Scenario): string {
  const lines = [`title: ${item.title}`];
  if (scenario) lines.push(`scenario: ${scenario.kind}${scenario.name ? ` (${scenario.name})` : ''}`);
  if (item.description) lines.push(`description: ${item.description.slice(0, 500)}`);
  if (item.category?.length) lines.push(`category: ${item.category.join(' > ')}`);
  if (item.tags?.length) lines.push(`tags: ${item.tags.join(', ')}`);
  if (item.image?.caption) lines.push(`image: ${item.image.caption}`);
  if (item.image?.visualTags?.length) lines.push(`visual tags: ${item.image.visualTags.join(', ')}`);
  if (item.audio?.descriptors)
    lines.push(
      `audio: ${Object.entries(item.audio.descriptors)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  return lines.join('\n');
}

/** Parses the model's reply: a JSON object, maybe inside prose or a code fence. */
export function parseEnrichment(
  reply: string,
  wanted: readonly ('description' | 'keywords')[],
): { description?: string; keywords?: string[] } {
  const m = reply.match(/\{[\s\S]*\}/);
  if (!m) throw new RecError('GENERATOR_UNAVAILABLE', 'reply holds no JSON object');
  let obj: unknown;
  try {
    obj = JSON.parse(m[0]);
  } catch (cause) {
    throw new RecError('GENERATOR_UNAVAILABLE', 'reply is not valid JSON', { cause });
  }
  const o = obj as { description?: unknown; keywords?: unknown };
  const out: { description?: string; keywords?: string[] } = {};
  if (wanted.includes('description') && typeof o.description === 'string' && o.description.trim())
    out.description = o.description.trim().slice(0, 1000);
  if (wanted.includes('keywords') && Array.isArray(o.keywords)) {
    const kws = o.keywords
      .filter((k): k is string => typeof k === 'string')
      .map((k) => k.trim().slice(0, 60))
      .filter(Boolean);
    if (kws.length > 0) out.keywords = [...new Set(kws)].slice(0, 16);
  }
  if (out.description === undefined && out.keywords === undefined)
    throw new RecError('GENERATOR_UNAVAILABLE', 'reply has none of the requested fields');
  return out;
}

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Enriches every item that lacks a description or keywords and has no current enrichment. */
export async function enrichCatalog(
  store: Store,
  generator: Generator,
  opts: EnrichOptions = {},
): Promise<EnrichReport> {
  const scenarios = new Map((await store.scenarios.list()).map((s) => [s.id, s]));
  const report: EnrichReport = { considered: 0, generated: 0, cached: 0, failed: 0, interrupted: false };
  const total = await store.items.count(opts.scenario);
  let done = 0;
  const pages = store.items.pages({
    limit: 64,
    ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
  });
  for await (const page of pages) {
    if (opts.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const existing = await store.blobs.getMany(
      ENRICH_NAMESPACE,
      page.map((i) => i.id),
    );
    const todo: { item: Item; wanted: ('description' | 'keywords')[]; prompt: string; source: string }[] = [];
    for (const item of page) {
      const wanted = missingFields(item);
      if (wanted.length === 0) continue;
      report.considered++;
      const prompt = facts(item, scenarios.get(item.scenario));
      const source = createHash('sha256')
        .update(JSON.stringify([generator.id, wanted, prompt]))
        .digest('hex');
      const prev = existing.get(item.id);
      if (prev && (JSON.parse(dec.decode(prev)) as StoredEnrichment).source === source) {
        report.cached++;
        continue;
      }
      todo.push({ item, wanted, prompt, source });
    }
    const written: { key: string; value: Uint8Array }[] = [];
    let next = 0;
    const lane = async () => {
      while (next < todo.length && !opts.signal?.aborted) {
        const t = todo[next++]!;
        try {
          const reply = await generator.complete(
            [
              {
                role: 'system',
                content:
                  'You write short, factual catalogue metadata for a recommender. Use only what the facts imply; never invent prices or specifications. Reply with one JSON object and nothing else.',
              },
              {
                role: 'user',
                content: `${t.prompt}\n\nWrite ${t.wanted
                  .map((w) =>
                    w === 'description'
                      ? '"description": one or two plain sentences'
                      : '"keywords": 3 to 8 short keywords',
                  )
                  .join(' and ')} as JSON.`,
              },
            ],
            { maxTokens: 200, ...(opts.signal ? { signal: opts.signal } : {}) },
          );
          const e: StoredEnrichment = {
            ...parseEnrichment(reply, t.wanted),
            generated: true,
            by: generator.id,
            source: t.source,
          };
          written.push({ key: t.item.id, value: enc.encode(JSON.stringify(e)) });
          report.generated++;
        } catch (err) {
          if (opts.signal?.aborted) break;
          report.failed++;
          opts.onFailure?.(t.item.id, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, lane));
    // what the model wrote before an interrupt or a failure is kept
    if (written.length > 0) await store.blobs.put(ENRICH_NAMESPACE, written);
    done += page.length;
    opts.onProgress?.({ done, total });
    if (opts.signal?.aborted) {
      report.interrupted = true;
      break;
    }
  }
  return report;
}
