/**
 * The `engine` and `train` configuration sections (owned by the recommender; schema.ts includes
 * them). Every key has a default and a description, so docs/config.md is generated from here too.
 */
import { z } from 'zod';

const d = <T extends z.ZodType>(schema: T, description: string) => schema.describe(description);

export const RETRIEVER_NAMES = ['collaborative', 'semantic', 'trending', 'popular', 'catalog'] as const;

const ruleSchema = z.strictObject({
  exclude: d(z.array(z.string()).default([]), 'Item ids never recommended in this scenario.'),
  diversity: d(z.number().min(0).max(1).optional(), 'Default MMR lambda for this scenario.'),
  allowRepeats: d(z.boolean().optional(), "Overrides the scenario's allowRepeats for recommendations."),
  maxPerCategory: d(
    z.number().int().min(1).optional(),
    'Most items of one leaf category (the last entry of an item\'s `category` path) in a list; items without a category are not limited. Promoted items count too. Example: `{"kitchen": {"maxPerCategory": 2}}`.',
  ),
  freshnessBoost: d(
    z
      .strictObject({
        halfLifeDays: d(
          z.number().gt(0),
          'Freshness boost: weight x 0.5^(age in days / halfLifeDays) is added to the score of each item with a `createdAt`, before request boosts, and the explanation shows it. This is the age at which the boost has halved. Example: `{"news": {"freshnessBoost": {"halfLifeDays": 2, "weight": 0.5}}}`.',
        ),
        weight: d(
          z.number().min(0),
          "Freshness boost of a brand-new item, in the ranker's score units (see `score` in answers).",
        ),
      })
      .optional(),
    'Adds weight x 0.5^(age in days / halfLifeDays) to the score of each item with a `createdAt`, before request boosts; the explanation shows it. Example: `{"news": {"freshnessBoost": {"halfLifeDays": 2, "weight": 0.5}}}`.',
  ),
});

export const engineSection = z
  .strictObject({
    maxInterests: d(z.number().int().min(1).max(16).default(4), 'Most interest centres per user profile.'),
    profileDecay: d(
      z.number().gt(0).max(1).default(0.9),
      'Recency decay per step back in the history when clustering interests.',
    ),
    negativePush: d(
      z.number().min(0).max(2).default(0.3),
      'How strongly a negative event (dislike, skip, bad review) pushes its interest away.',
    ),
    maxHistory: d(
      z.number().int().min(1).max(10_000).default(200),
      'Most recent events of a user the profile is built from.',
    ),
    diversity: d(
      z.number().min(0).max(1).default(0.1),
      'Default MMR lambda (0 = pure relevance, 1 = most diverse) when a request gives none.',
    ),
    candidates: d(
      z
        .number()
        .int()
        .max(100_000)
        .refine((v) => v === 0 || v >= 10, 'expected 0 (every item) or at least 10')
        .default(100),
      'Candidates retrieved before ranking (at least 4 x n); 0 = every item of the scenario is a candidate (full ranking, as `fusionrec eval` ranks: slow on large scenarios). More can only add items the ranker might lift, and every one costs its features on a first request (measurements: docs/serving-results.md).',
    ),
    retrievers: d(
      z
        .array(z.enum(RETRIEVER_NAMES))
        .min(1)
        .default([...RETRIEVER_NAMES]),
      'The fallback chain, in order: each fills what the previous ones left; `catalog` guarantees n items.',
    ),
    exactSearchBelow: d(
      z.number().int().min(0).default(2000),
      'Scenarios with fewer items use exact vector search; larger ones an HNSW index (usearch). Exact search costs n x dim multiply-adds per interest, so keep this small for latency.',
    ),
    searchExpansion: d(
      z.number().int().min(8).max(1000).default(40),
      'HNSW search breadth (usearch expansion_search): the candidates a query keeps while it walks the graph. Larger finds more of the exact nearest neighbours and costs more CPU per query (measurements: docs/serving-results.md).',
    ),
    staleModel: d(
      z.enum(['rebuild', 'error']).default('rebuild'),
      'When the trained model does not match the data: `rebuild` signals from the store with default ranker weights (and warn), or `error` (MODEL_STALE).',
    ),
    rankCacheSeconds: d(
      z.number().min(0).default(30),
      "How long a user's retrieved candidates and their context-free scores are reused per scenario (the request's context, diversity and explanations are applied each time). The user's own events, item changes and a new model take effect at once; other users' events (popular and trending lists, an item's first event) within this time. 0 turns it off.",
    ),
    trendingDays: d(z.number().min(0).default(7), 'Window of the trending retriever, in days.'),
    modelPollSeconds: d(
      z.number().min(0).max(86_400).default(5),
      'How often a running engine reads the active model version (one small record in the store) and, when another process (`fusionrec train`, `fusionrec model activate`) changed it, swaps to that version without failing a request. 0 = never (a swap then happens only through `POST /v1/models/:version/activate` on this server or `engine.reloadModel()`).',
    ),
    snapshotEvents: d(
      z.number().int().min(0).default(10_000),
      "Boot snapshot: a booting engine folds the events since its model's training into counts, context statistics, trending window and the context lists' rows (and saves the item vectors as one matrix); it saves the result (stamped with the last event `seq`) when it had none, or when it folded at least this many events past the stored one, so the next boot reads the snapshot and only the events after it. 0 = never save one (every boot folds the whole log).",
    ),
    snapshotSeconds: d(
      z.number().min(0).default(300),
      'How often a running engine folds the events since the boot snapshot into it (off the request path; only when at least `snapshotEvents` arrived). 0 = only at boot.',
    ),
    lists: d(
      z
        .strictObject({
          trendingDays: d(
            z.number().gt(0).default(7),
            'Window of the trending list (`/v1/trending`), in days.',
          ),
          trendingHalfLifeDays: d(
            z.number().gt(0).default(1),
            "Half-life of an event's weight in the trending score, in days: an event this old counts half as much as one at the window's end.",
          ),
          popularDays: d(
            z.number().min(0).default(0),
            'Window of the popular list (`/v1/popular`), in days; 0 = every event.',
          ),
          newDays: d(
            z.number().gt(0).default(30),
            'Window of the new list (`/v1/new`): items whose `createdAt` is at most this many days before the newest item.',
          ),
          minContextEvents: d(
            z.number().int().min(1).default(20),
            "Events a context (device, hour band) needs in a list's window before the list is ranked in that context alone; with fewer the answer is the overall list, and says so.",
          ),
        })
        .prefault({}),
      'Non-personalised lists (trending, popular, new): their windows end at the latest event (items: the newest `createdAt`), so an imported dataset has lists too.',
    ),
    sessions: d(
      z
        .strictObject({
          ttlMinutes: d(
            z.number().gt(0).default(30),
            'Minutes an anonymous session is kept after its last event; then it is forgotten and a request naming it gets the cold-start answer.',
          ),
          maxSessions: d(
            z.number().int().min(1).default(100_000),
            "Sessions kept in each node's memory; past this the least recently active is dropped.",
          ),
          maxItems: d(
            z.number().int().min(1).max(1000).default(50),
            'Most recent items of a session used as its history.',
          ),
        })
        .prefault({}),
      'Anonymous sessions (`POST /v1/sessions/:id/events`, `context.session`): kept in memory (and in Redis for their lifetime when `cache.url` is set, so every node serves them), never in the event log.',
    ),
    rules: d(
      z.record(z.string(), ruleSchema).default({}),
      'Per-scenario rules: {"<scenario>": {exclude, diversity, allowRepeats, maxPerCategory, freshnessBoost}}. Example: `{"music": {"allowRepeats": true}, "kitchen": {"maxPerCategory": 2, "exclude": ["k-42"]}, "news": {"freshnessBoost": {"halfLifeDays": 2, "weight": 0.5}}}`.',
    ),
  })
  .prefault({});

export const trainSection = z
  .strictObject({
    seed: d(z.number().int().default(1), 'Seed of every random choice in training.'),
    window: d(
      z.number().int().min(1).max(1000).default(20),
      'Co-occurrence window (positions) in a sequence.',
    ),
    neighbours: d(z.number().int().min(1).max(5000).default(200), 'Neighbours kept per item.'),
    shrink: d(
      z.number().min(0).default(20),
      'Shrinkage of the co-occurrence cosine, when `tuneGraph` is off (and for signals rebuilt without a trained model).',
    ),
    crossScenario: d(z.boolean().default(true), 'Learn co-occurrence across scenarios (fusion).'),
    inputHistories: d(
      z.boolean().default(true),
      'Learn the item graphs, the context statistics and the sequential model from the request-time histories of held-out users too (`valid_input`, `test_input` events). Off = from the training users alone, as a protocol of held-out users requires (`fusionrec eval` on food-kitchen turns it off); the fitting cases keep their histories either way.',
    ),
    fusion: d(
      z.boolean().default(true),
      "Fuse the scenarios: off = each scenario alone (item graphs without cross-scenario pairs, profiles that see only the requested scenario's history, the sequential model trained on each scenario's own sequences). The no-fusion ablation of `fusionrec eval`.",
    ),
    context: d(
      z.boolean().default(true),
      'Learn and use the context statistics (device, location, hour, weekday). Off = the no-context ablation.',
    ),
    ids: d(
      z.boolean().default(true),
      'Learn from item ids: the collaborative item graphs (co-occurrence, transitions, EASE) and the id embeddings and item biases of the sequential model. Off = the no-ids ablation: text, popularity and context only (the sequential model reads item text alone, and is not trained without text).',
    ),
    tuneGraph: d(
      z.boolean().default(true),
      "Choose the co-occurrence shrinkage and EASE's lambda on the fitting cases (`tuneShrinks` x `tuneEaseLambdas`, each judged by the NDCG@10 of the collaborative evidence alone) instead of `shrink` and `easeLambda`.",
    ),
    tuneShrinks: d(
      z.array(z.number().min(0)).min(1).default([10, 20, 50]),
      'Co-occurrence shrinkages tried when `tuneGraph` is on.',
    ),
    tuneEaseLambdas: d(
      z.array(z.number().gt(0)).min(1).default([40, 100, 250]),
      'EASE lambdas tried when `tuneGraph` is on (for each scenario, and for the cross-scenario EASE).',
    ),
    fitCases: d(
      z.number().int().min(10).default(4000),
      'Most cases the ranker is fitted on: a seeded sample of the validation split, topped up with held-out cases (`heldOutCases`). More cases make a less noisy fit at about proportional fit time (docs/results.md, "more fitting cases").',
    ),
    heldOutCases: d(
      z.number().int().min(0).default(1500),
      'Most fitting cases held out from the training events, topping the validation split up to `fitCases`: for a seeded sample of users (never one with a validation target), their last positive event in each scenario they are active in. Their items leave the item graphs, the context statistics and the sequential model while the ranker is fitted on them; the saved graphs then learn from every event. A store of live events has no validation split, so without these its ranker keeps the default weights. 0 = the validation split only.',
    ),
    coldStartCases: d(
      z.number().int().min(0).default(1000),
      "Fitting cases copied without their target scenario's history (a seeded sample of those whose history also holds another scenario): users arriving in a scenario knowing only the others. The ranker fits and checks the cross-scenario weights of users with no history in the scenario on these copies alone. Several scenarios and `fusion` on only; 0 = none (such users are then served their scenario's weights).",
    ),
    thinHistoryCases: d(
      z.number().int().min(0).default(0),
      "Fitting cases copied with their target scenario's history cut to its last one or two entries (a seeded sample of those with more than two and a positive entry of another scenario): users a few steps into a scenario. The ranker fits the cross-scenario weights of users with one or two entries of the scenario on these copies and the real cases of that history length, and checks them there. Several scenarios and `fusion` on only; 0 (the default: on food-kitchen the check kept no such weights, docs/results.md) = none, such users then get weights of their own only where at least 100 real cases have that history.",
    ),
    fitBags: d(
      z.number().int().min(1).max(100).default(1),
      "Bootstrap resamples of the fitting cases the ranker's weights are fitted on and averaged over (bagging: weights fewer cases decide move less between fits on other samples); 1 = one fit on all of them. The decay and candidate pools are chosen once; each bag costs one more coordinate ascent of both stages.",
    ),
    decays: d(
      z.array(z.number().gt(0).max(1)).min(1).default([0.5, 0.8, 0.95, 1]),
      'History recency decays tried for the collaborative features.',
    ),
    order: d(
      z.enum(['auto', 'sequence', 'set']).default('auto'),
      'Whether histories are ordered in time: `sequence` = co-occurrence within `window` positions, weighted by distance; `set` = over the whole history, unweighted (listening profiles, likes); `auto` = `set` when 90% of the histories carry one timestamp for all their events.',
    ),
    easeItems: d(
      z.number().int().min(0).max(10_000).default(2000),
      'Items the EASE item model covers (the most frequent, with at least 2 users); 0 = no EASE. Training time grows with the cube of this number (docs/recommender.md).',
    ),
    easeLambda: d(
      z.number().gt(0).default(100),
      'L2 regularisation of the EASE item model, when `tuneGraph` is off (and for signals rebuilt without a trained model).',
    ),
    seqFused: d(
      z.boolean().default(false),
      "How the ranker reads the sequential model on a history that spans several scenarios. false: `seq` from the whole history. true: `seq` from the target scenario's entries (as every same-scenario feature) and the cross-scenario feature `seqFused` from the whole history, so the fit's per-scenario and per-bucket check decides how much of the other scenarios the model's reading brings (measured against false in docs/results.md).",
    ),
    alsFactors: d(
      z.number().int().min(0).max(256).default(32),
      'Latent dimensions of the implicit-feedback factorisation (iALS) whose fold-in score of a history is the `als` feature (and `alsFused` over every scenario); 0 = no factorisation. Training time grows with the square of this number and the number of events.',
    ),
    alsReg: d(z.number().gt(0).default(10), 'L2 regularisation of the factorisation.'),
    alsAlpha: d(
      z.number().gt(0).default(10),
      'Confidence of an item a user has, in the factorisation: 1 + alsAlpha x the times they have it (every other item: 1).',
    ),
    alsIters: d(
      z.number().int().min(1).max(100).default(8),
      'Alternating least-squares rounds of the factorisation.',
    ),
    alsCgSteps: d(
      z.number().int().min(0).max(32).default(0),
      "Conjugate-gradient steps per factor row and round, each started from the row's last solution, in place of the exact solve (Cholesky) that 0 keeps. Three steps give the exact solve's held-out quality at about 55 % of its CPU (`bench/als.ts`; the engine's figures with each: docs/results.md).",
    ),
    attrNeighbors: d(
      z.number().int().min(0).max(1000).default(300),
      "Neighbours kept per item in the attribute graph: the items of its scenario sharing the most of its catalogue metadata (tags, category path, text attributes, visual tags, audio descriptors; IDF-weighted cosine). It feeds the `attr` (the history's items) and `attrLast` (the last items) features and reaches items with few or no interactions. 0 = no attribute graph; a catalogue without shared metadata builds none.",
    ),
    attrCrossNeighbors: d(
      z.number().int().min(0).max(1000).default(0),
      "Links kept per item from the attribute graph to the items of the other scenarios sharing the most of its metadata (title words included where `attrTitleWords` reads them; tokens matched across scenarios, IDF over the whole catalogue). They feed the cross-scenario feature `attrCross`: what the user's items in the other scenarios share with the target scenario's items, which reaches users with little or no history there. Built only where the graphs fuse the scenarios (`fusion` and `crossScenario`); 0 = none, the default: on food-kitchen's official users 100 links moved the fused engine +0.3 % and its users with no target-scenario history -12.5 % (docs/results.md).",
    ),
    attrPostings: d(
      z.number().int().min(10).max(100_000).default(1000),
      "Items each metadata token proposes as neighbour candidates when building the attribute graph, the most engaged first: bounds the build on tokens shared by much of the catalogue (a candidate's similarity is always computed over every token it shares).",
    ),
    attrTitleWords: d(
      z.enum(['never', 'missing', 'always']).default('always'),
      "When each item's title words (lower-cased, letters and digits, two characters or more, not numbers alone) are attribute tokens, so that items whose titles share rare words become attribute neighbours: `always` (the default) for every item, beside its other metadata; `missing` for the items with no other metadata (tags, category, text attributes, visual tags, audio descriptors), whose titles stand in for it (a catalogue of titles alone gets an attribute graph either way); `never`. The sequential model's `seq.metadata` input reads the other metadata only.",
    ),
    crossUsers: d(
      z.number().int().min(0).max(10_000).default(0),
      'Users matched per request by the cross-scenario user matching (the `usersCross` feature): the training users active in several scenarios (at most 100,000, kept as rows of their items) whose items outside the target scenario best match the request\'s; their items in the target scenario are scored by the summed similarity of those holding them (a request never matches its own user). 0 (the default) = no users kept and no feature: on food-kitchen the fitted ranker weighed it at or near 0 and it moved no figure beyond the noise of the fit (docs/results.md, "Users like you across scenarios"); 200 is the measured setting. One-scenario data and `crossScenario: false` keep none.',
    ),
    popularityCross: d(
      z.boolean().default(false),
      "The cross-scenario feature `popularityCross`: an item's popularity among the users arriving from another scenario (its interactions that came after one in another scenario; in histories without time order, every interaction of a user active in several scenarios), log-scaled to [0, 1] within its scenario, read for requests whose history holds another scenario. A user who knows the shop and opens the kitchen app takes up what the shop's customers took up there, not what the app's own crowd does. Counted where the graphs fuse the scenarios (`fusion` and `crossScenario`) over two or more; kept as trained (new events add to it at the next training; an erased user's share leaves it at once). Off by default: on food-kitchen's official users it moved nothing beyond the noise of the fit (its users new to kitchen -6.5 % and +2.4 % at two seeds; docs/results.md, \"Popularity among the users arriving from another scenario\").",
    ),
    keepVersions: d(
      z.number().int().min(1).max(1000).default(5),
      'Model versions kept in the store: `fusionrec train` writes a new one and deletes the oldest beyond this many (never the active one, nor one a running experiment serves); `fusionrec model activate` rolls back to any kept one.',
    ),
    threads: d(
      z.number().int().min(0).max(64).default(2),
      "Threads `fusionrec train` computes on (worker threads): the sequential model's batch gradients and the ranker fit's candidate pools; 0 = one per core, 1 = single-threaded. A fixed count gives the same model on any machine, where 0 would depend on its core count. The pools are the same for any count; the sequential model is deterministic for a given count (different counts differ in the last bits). Not part of the model stamp (timings: docs/results.md).",
    ),
  })
  .prefault({});

export type EngineConfig = z.infer<typeof engineSection>;
export type TrainConfig = z.infer<typeof trainSection>;
