/**
 * The user's taste as a 2-D map: the items they acted on and the centres of their interests
 * (fused and per scenario), projected on the two principal axes of those vectors. A centre is the
 * normalised mean of the vectors of the interest's representative items. A view of the profile,
 * served by `GET /v1/users/:id/map`.
 */
import { RecError } from '../core/errors.ts';
import { loadItemVectors } from '../encode/catalog.ts';
import type { Encoder } from '../encode/types.ts';
import { centre, project2d } from '../profile/map.ts';
import type { Store } from '../store/types.ts';
import type { Engine, Interest } from './types.ts';

/** Item vectors by id (from the encoder's namespace of the store). */
export type VectorSource = (ids: readonly string[]) => Promise<Map<string, Float32Array>>;

/** the stored vectors of `encoder`'s items */
export function storedVectors(store: Store, encoder: Pick<Encoder, 'id'>): VectorSource {
  return async (ids) => {
    const { ids: found, dim, vectors } = await loadItemVectors(store, encoder.id, { ids });
    return new Map(found.map((id, r) => [id, vectors.slice(r * dim, (r + 1) * dim)]));
  };
}

export interface TasteMapSources {
  engine: Pick<Engine, 'profile'>;
  store: Store;
  /** without it there is nothing to project: ENCODER_UNAVAILABLE */
  itemVectors?: VectorSource | undefined;
}

export interface TasteMap {
  user: string;
  method: 'pca';
  items: {
    id: string;
    title: string;
    scenario: string;
    types: Record<string, number>;
    lastTs: number;
    x: number;
    y: number;
  }[];
  interests: {
    id: string;
    scope: string;
    label: string;
    summary: string;
    weight: number;
    scenario: string;
    scenarioMix: Record<string, number>;
    topItems: string[];
    x: number;
    y: number;
  }[];
}

function dominantScenario(mix: Record<string, number>): string {
  let best = '';
  let bestShare = -1;
  for (const [s, share] of Object.entries(mix)) {
    if (share > bestShare) {
      best = s;
      bestShare = share;
    }
  }
  return best;
}

/** the map of `user` from their last `limit` events */
export async function tasteMap(src: TasteMapSources, user: string, limit: number): Promise<TasteMap> {
  if (!src.itemVectors) throw new RecError('ENCODER_UNAVAILABLE', 'no item vectors to draw a map from');
  const [profile, events] = await Promise.all([
    src.engine.profile(user),
    src.store.events.ofUser(user, { limit }),
  ]);
  const acted = new Map<string, { scenario: string; types: Record<string, number>; lastTs: number }>();
  for (const e of events) {
    const a = acted.get(e.item) ?? { scenario: e.scenario, types: {}, lastTs: 0 };
    // an own count only: a type is client input, and `constructor` is on every object's prototype
    a.types[e.type] = (Object.hasOwn(a.types, e.type) ? a.types[e.type]! : 0) + 1;
    a.lastTs = Math.max(a.lastTs, e.ts);
    acted.set(e.item, a);
  }
  const interests: (Interest & { scope: string })[] = [
    ...profile.fused.map((i) => ({ ...i, scope: 'fused' })),
    ...Object.entries(profile.perScenario).flatMap(([s, list]) => list.map((i) => ({ ...i, scope: s }))),
  ];
  const ids = [...new Set([...acted.keys(), ...interests.flatMap((i) => i.topItems)])];
  const vectors = await src.itemVectors(ids);
  const itemIds = [...acted.keys()].filter((id) => vectors.has(id));
  const titles = new Map((await src.store.items.getMany(itemIds)).map((it) => [it.id, it.title]));
  const centres = interests
    .map((i) => ({ interest: i, v: centre(i.topItems.flatMap((id) => vectors.get(id) ?? [])) }))
    .filter((c): c is { interest: Interest & { scope: string }; v: Float32Array } => c.v !== undefined);
  const itemVecs = itemIds.map((id) => vectors.get(id)!);
  const fit = [...itemVecs, ...centres.map((c) => c.v)];
  const xy = project2d(fit, fit);
  return {
    user,
    method: 'pca',
    items: itemIds.map((id, k) => ({
      id,
      title: titles.get(id) ?? '',
      scenario: acted.get(id)!.scenario,
      types: acted.get(id)!.types,
      lastTs: acted.get(id)!.lastTs,
      x: xy[k]![0],
      y: xy[k]![1],
    })),
    interests: centres.map((c, k) => ({
      id: c.interest.id,
      scope: c.interest.scope,
      label: c.interest.label,
      summary: c.interest.summary,
      weight: c.interest.weight,
      scenario: dominantScenario(c.interest.scenarioMix),
      scenarioMix: c.interest.scenarioMix,
      topItems: c.interest.topItems,
      x: xy[itemIds.length + k]![0],
      y: xy[itemIds.length + k]![1],
    })),
  };
}
