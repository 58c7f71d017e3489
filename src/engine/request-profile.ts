/**
 * The profile a recommend request is served from, and the catalog the exploration slot draws
 * from: what the engine reads of its users and items for one answer.
 */
import { itemSpaceOf, type ScoringModel } from '../model/scoring.ts';
import { buildProfile } from '../profile/interests.ts';
import type { UserProfile } from '../profile/types.ts';
import type { ExplorationCatalog } from './explore.ts';
import type { LiveItems } from './live-items.ts';
import type { Profiles } from './profiles.ts';
import type { ValidRecommendRequest } from './requests.ts';
import { scenarioAlone } from './score-all.ts';
import type { Sessions } from './sessions.ts';
import type { SharedSessions } from './shared-sessions.ts';

export class RequestProfiles {
  /** the profile of no history: an anonymous request whose session is unknown or expired */
  private cold: UserProfile | undefined;

  constructor(
    private readonly d: {
      model: ScoringModel;
      profiles: Profiles;
      sessions: Sessions;
      /** the sessions the nodes share through Redis (shared-sessions.ts) */
      sharedSessions: SharedSessions;
      fusion: boolean;
    },
  ) {}

  /**
   * The user's; an anonymous session's items when the request names a live session and has no
   * user, or a user without history; else no history. `fusion` (a variant's, else the engine's):
   * false serves the requested scenario's history alone, the user's and the session's alike.
   */
  async of(
    req: ValidRecommendRequest,
    fusion?: boolean,
  ): Promise<{ profile: UserProfile; session?: string }> {
    const { model, profiles, sessions } = this.d;
    const id = req.context?.session;
    let own: UserProfile | undefined;
    if (req.user !== undefined) {
      own = await profiles.forScenario(req.user, req.scenario, fusion);
      if (own.history.length > 0 || id === undefined) return { profile: own };
    }
    const space = itemSpaceOf(model);
    const options = profiles.options;
    if (id !== undefined) await this.d.sharedSessions.refresh(id);
    const kept =
      id === undefined ? undefined : sessions.profile(id, (h) => buildProfile(id, [...h], space, options));
    if (kept) {
      const profile = (fusion ?? this.d.fusion) ? kept : scenarioAlone(kept, req.scenario, space, options);
      if (profile.history.length > 0) return { profile, session: id! };
    }
    if (own) return { profile: own };
    this.cold ??= buildProfile('', [], space, options);
    return { profile: this.cold };
  }
}

/** the engine's catalog as the exploration slot reads it: a scenario's available items */
export function explorationCatalog(
  m: ScoringModel,
  index: ReadonlyMap<string, number>,
  live: Pick<LiveItems, 'available'>,
): ExplorationCatalog {
  return {
    pool: (id) => {
      const code = m.scenarios.indexOf(id);
      const out: string[] = [];
      for (const i of m.scenarioItems[code] ?? []) if (live.available[i]) out.push(m.itemIds[i]!);
      return out;
    },
    describe: (id) => {
      const i = index.get(id);
      return i === undefined
        ? undefined
        : { item: id, title: m.titles[i] ?? '', scenario: m.scenarios[m.scenarioCode[i]!]! };
    },
  };
}
