/**
 * How a FusionEngine's sub-parts are wired to each other from the parts the composition root
 * (create.ts) picked. The engine reaches back only through `EngineHost`, read at call time.
 */
import type { Scenario } from '../core/types.ts';
import type { ScoringModel } from '../model/scoring.ts';
import { ItemFacts } from '../rank/filter/facts.ts';
import { AnswerCache } from './answer-cache.ts';
import { EventChecks } from './check-events.ts';
import { Controls } from './controls.ts';
import { Feedback } from './feedback.ts';
import { LiveItems } from './live-items.ts';
import { ProfileMemo } from './memo.ts';
import { NamedFilters } from './named-filters.ts';
import type { EngineParts } from './parts.ts';
import { Profiles } from './profiles.ts';
import { Ranking, type RankingDeps } from './recommend.ts';
import { explorationCatalog, RequestProfiles } from './request-profile.ts';
import { ReviewSentiment } from './review-sentiment.ts';
import { ExplanationSentences } from './sentences.ts';
import { Sessions } from './sessions.ts';
import { SharedSessions } from './shared-sessions.ts';
import { InterestSummaries } from './summaries.ts';
import type { ExperimentAdmin, PeerChange } from './types.ts';
import { engineExperiments, Variants } from './variants.ts';
import { EngineWrites } from './writes.ts';

/** profiles whose request-time work is memoised (each holds up to a few hundred items' features) */
const PROFILE_MEMO = 4096;

/** what the sub-parts ask of the engine that holds them */
export interface EngineHost {
  closed(): boolean;
  /** throws when the engine is closed or the scenario is unknown */
  checkScenario(id: string): void;
  scenarios(): Promise<Scenario[]>;
  peers(): ((change: PeerChange) => Promise<void>) | undefined;
  remoteChanged(): ((change: PeerChange) => void) | undefined;
}

export interface EngineSubparts {
  model: ScoringModel;
  /** per-profile text features, semantic search answers and ranked candidates (see memo.ts) */
  memo: ProfileMemo;
  live: LiveItems;
  profiles: Profiles;
  ranking: Ranking;
  sentences: ExplanationSentences;
  summaries: InterestSummaries | undefined;
  /** generated sentiment of non-Latin comment text, when a generator is configured for it */
  reviewSentiment: ReviewSentiment | undefined;
  controls: Controls;
  sessions: Sessions;
  /** answers shared with the other nodes through the response cache */
  answers: AnswerCache;
  /** the rankings of experiment variants */
  variants: Variants;
  writes: EngineWrites;
  requestProfiles: RequestProfiles;
  /** recommendation ids, impressions, attribution and experiments (feedback.ts) */
  feedback: Feedback;
  experiments: ExperimentAdmin;
}

export function assembleEngine(p: EngineParts, host: EngineHost): EngineSubparts {
  const m = p.model;
  const e = p.config.engine;
  const memo = new ProfileMemo(PROFILE_MEMO);
  const live = new LiveItems(m, p.available, p.vectorIndex, p.vectorIndices);
  const facts = p.facts ?? new ItemFacts();
  facts.available = (i) => live.available[i] === 1;
  const controls = new Controls({ facts, named: new NamedFilters(p.store), store: p.store, index: p.index });
  // users whose comment text got a generated score: their profiles and cached answers are redone
  const rescored = (users: readonly string[]): void => {
    if (host.closed()) return;
    for (const u of users) profiles.invalidate(u);
    p.cache.forgetUsers([...users]);
  };
  const reviewSentiment =
    p.generator && p.config.generator.sentiment
      ? new ReviewSentiment({ generator: p.generator, onScored: rescored })
      : undefined;
  const rs = reviewSentiment;
  const profiles = new Profiles({
    store: p.store,
    model: m,
    index: p.index,
    scenarios: p.scenarios,
    options: {
      maxInterests: e.maxInterests,
      recencyDecay: e.profileDecay,
      negativePush: e.negativePush,
      maxHistory: e.maxHistory,
    },
    memo,
    fusion: p.config.train.fusion,
    clustered: p.bus.kind === 'nats',
    sentiment: rs && ((text, user) => rs.score(text, user)),
  });
  const all = p.retrievers({
    index: (code) => live.index(code),
    searchCache: memo,
    trending: (code) => p.trending.list(code),
    popular: (code) => p.popular.list(code),
    catalog: (code) => m.scenarioItems[code] ?? [],
  });
  const rankingDeps: RankingDeps = {
    model: m,
    config: e,
    index: p.index,
    live,
    memo,
    chain: e.retrievers.map((name) => all[name]!),
    modelVersion: p.modelVersion,
    facts,
  };
  const ranking = new Ranking(rankingDeps);
  const variants = new Variants({ ranking, rankingDeps, retrievers: all, parts: p });
  const answers = new AnswerCache(p.cache, p.bus, p.modelVersion);
  const feedback = new Feedback(p.store, p.config.feedback, explorationCatalog(m, p.index, live));
  if (p.erased) feedback.log.shareErasures(p.erased);
  const experiments = engineExperiments(feedback, variants, (id) => host.checkScenario(id));
  const g = p.config.generator;
  const sentences = new ExplanationSentences({
    model: m,
    scenarioName: (id) => p.scenarios.get(id)?.name ?? id,
    generator: g.explain ? p.generator : undefined,
    timeoutMs: g.explainTimeoutMs,
    top: g.explainTop,
  });
  const summaries =
    p.generator && g.summaries
      ? new InterestSummaries({ store: p.store, generator: p.generator, itemIds: m.itemIds })
      : undefined;
  const sessions = new Sessions(e.sessions, p.clock ?? Date.now, (profile) => memo.forget(profile));
  const sharedSessions = new SharedSessions({
    cache: p.cache,
    sessions,
    options: e.sessions,
    entryOf: (ev) => profiles.entryOf(ev),
  });
  const requestProfiles = new RequestProfiles({
    model: m,
    profiles,
    sessions,
    sharedSessions,
    fusion: p.config.train.fusion,
  });
  const writes = new EngineWrites({
    p,
    model: m,
    live,
    profiles,
    memo,
    facts,
    sessions,
    sharedSessions,
    sentences,
    summaries,
    reviewSentiment,
    feedback,
    checks: new EventChecks(p.store, () => host.scenarios()),
    answers,
    peers: () => host.peers(),
    remoteChanged: () => host.remoteChanged(),
    closed: () => host.closed(),
    erased: () => variants.clear(),
  });
  return {
    model: m,
    memo,
    live,
    profiles,
    ranking,
    sentences,
    summaries,
    reviewSentiment,
    controls,
    sessions,
    answers,
    variants,
    writes,
    requestProfiles,
    feedback,
    experiments,
  };
}
