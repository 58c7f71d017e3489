/**
 * The answers shared between nodes through the response cache (src/cache/), keyed by a hash of
 * the model version and the request. A cached answer computed before this node applied the user's
 * last events, or before the last catalog change, is refused: it may hold a consumed or deleted
 * item.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { EventBus } from '../bus/types.ts';
import type { SharedCache } from '../cache/types.ts';
import type { ValidRecommendRequest } from './requests.ts';
import type { RecommendResponse } from './types.ts';

/** users whose last event's bus position is remembered, to refuse cached answers older than it */
const POSITIONS = 100_000;

export class AnswerCache {
  /** the bus position of the last change to the catalog (items upserted or deleted) */
  private catalogPosition = 0;
  /** the bus position of each recent user's last event applied here */
  private readonly userPositions = new LRUCache<string, number>({ max: POSITIONS });

  constructor(
    private readonly cache: SharedCache,
    private readonly bus: Pick<EventBus, 'position'>,
    private readonly modelVersion: string,
  ) {}

  /** the users' events up to `position` are applied here: their older answers are dropped and refused */
  eventsApplied(users: ReadonlySet<string>, position: number): void {
    if (this.cache.kind === 'none') return;
    for (const u of users) this.userPositions.set(u, position);
    this.cache.forgetUsers([...users]);
  }

  /** cached answers older than a catalog change are refused (they may hold a deleted item) */
  catalogChangedAt(position: number): void {
    this.catalogPosition = Math.max(this.catalogPosition, position);
  }

  /** the user is erased: their position goes with them */
  forgetPosition(user: string): void {
    this.userPositions.delete(user);
  }

  /** the cached answer to the request when it is still the user's, else `compute`'s (then kept) */
  async answer(
    req: ValidRecommendRequest,
    compute: (req: ValidRecommendRequest) => Promise<RecommendResponse>,
  ): Promise<RecommendResponse> {
    // a session lives in this process's memory: its answers are not shared
    if (!this.cache.reachable() || req.user === undefined || req.context?.session !== undefined) {
      return compute(req);
    }
    const user = req.user;
    // stamped with the model version, like every cached result (Gorse)
    const key = createHash('sha1')
      .update(JSON.stringify([this.modelVersion, req]))
      .digest('base64url');
    const hit = await this.cache.getAnswer(user, key);
    const since = Math.max(this.catalogPosition, this.userPositions.get(user) ?? 0);
    if (hit && hit.position >= since) return { user, ...JSON.parse(hit.value) } as RecommendResponse;
    const position = this.bus.position();
    const res = await compute(req);
    // without the user id: the shared cache holds no id (the key is a hash of it)
    this.cache.setAnswer(user, key, { position, value: JSON.stringify({ ...res, user: undefined }) });
    return res;
  }
}
