/**
 * The feedback loop around `recommend`: every answer gets a recommendation id and is logged as an
 * impression (list, positions, scores, model version, experiment variant, context); a running
 * experiment of the scenario picks the variant (A/B) or merges two (team-draft interleaving);
 * events citing an id are checked (the user's own, the item shown) and credited to it, and events
 * citing none are credited to the latest impression of their item for their user within the
 * attribution window.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { RecError } from '../core/errors.ts';
import { seededRandom } from '../core/rng.ts';
import type { Event } from '../core/types.ts';
import { requireVersion } from '../model/versions.ts';
import type { Attribution, DataStore, Impression, ImpressionItem } from '../store/data/types.ts';
import type { Store } from '../store/types.ts';
import { type ExperimentStats, ExperimentTally } from './experiment-stats.ts';
import {
  type Experiment,
  Experiments,
  stableUnit,
  teamDraft,
  type Variant,
  variantOf,
} from './experiments.ts';
import { Exploration, type ExplorationCatalog } from './explore.ts';
import { ImpressionLog, type ImpressionLogStats } from './impression-log.ts';
import { type LoggedRandomization, randomize } from './randomize.ts';
import { type ReplayEstimate, type SlotPolicy, slotSamples, snips } from './replay.ts';
import type { ValidRecommendRequest } from './requests.ts';
import type { ExperimentAdmin, Recommendation, RecommendResponse } from './types.ts';

type FeedbackConfig = Config['feedback'];

/** how the engine answers one request with a variant's settings (undefined: its own) */
export type AnswerWith = (
  req: ValidRecommendRequest,
  variant: Variant | undefined,
) => Promise<RecommendResponse>;

/** impressions read per page when an experiment's status is computed */
const PAGE = 2000;
/** the most items a worse-by-design arm ranks from */
const WIDE = 200;

export class Feedback {
  readonly experiments: Experiments;
  readonly log: ImpressionLog;
  private readonly credited: ReadonlySet<string>;
  private readonly exploration: Exploration | undefined;

  constructor(
    private readonly store: DataStore,
    private readonly config: FeedbackConfig,
    catalog?: ExplorationCatalog,
    onError?: (e: unknown) => void,
  ) {
    this.exploration = catalog ? new Exploration(config.exploration, catalog) : undefined;
    this.experiments = new Experiments(store);
    this.log = new ImpressionLog(store.impressions, config, onError);
    this.credited = new Set([...config.attributeTypes, ...config.conversionTypes]);
  }

  /** answers the request (through the running experiment, if any), then stamps and logs it */
  async recommend(req: ValidRecommendRequest, answer: AnswerWith): Promise<RecommendResponse> {
    // an anonymous session's answer: no user to assign a variant to or to attribute events to
    if (req.user === undefined) return answer(req, undefined);
    const user = req.user;
    const id = timeOrderedId();
    const exp = this.config.experiments ? await this.experiments.runningIn(req.scenario) : undefined;
    let res: RecommendResponse;
    let teams: Map<string, string> | undefined;
    let variant: string | undefined;
    /** interleaving of model versions: the version each variant answered from */
    let versions: Record<string, string> | undefined;
    // team draft is a randomization of its own, with its own credit: interleaved lists stay as drafted
    const shuffle = exp?.kind === 'interleave' ? undefined : this.config.randomize[req.scenario];
    const asked = shuffle ? { ...req, n: Math.max(req.n, shuffle.top) } : req;
    if (!exp) res = await answer(asked, undefined);
    else if (exp.kind === 'ab') {
      const v = variantOf(exp, user);
      variant = v.name;
      res = await armAnswer(asked, v, answer, id);
    } else {
      const [a, b] = exp.variants as [Variant, Variant];
      const [ra, rb] = await Promise.all([armAnswer(req, a, answer, id), armAnswer(req, b, answer, id)]);
      const byItem = new Map<string, Recommendation>();
      for (const r of [...rb.items, ...ra.items]) byItem.set(r.item, r);
      const merged = teamDraft(
        ra.items.map((r) => r.item),
        rb.items.map((r) => r.item),
        req.n,
        seededRandom(Math.floor(stableUnit(id) * 2 ** 32)),
      );
      teams = new Map(merged.map((m) => [m.item, m.team === 0 ? a.name : b.name]));
      res = {
        ...ra,
        items: merged.map((m) => byItem.get(m.item)!),
        retrievers: [...new Set([...ra.retrievers, ...rb.retrievers])],
      };
      if (a.modelVersion !== undefined || b.modelVersion !== undefined)
        versions = { [a.name]: ra.modelVersion, [b.name]: rb.modelVersion };
    }
    let propensity: number[] | undefined;
    let randomized: LoggedRandomization | undefined;
    if (shuffle) {
      const ranked = res.items;
      const r = randomize(
        ranked.map((x) => x.item),
        req.n,
        shuffle,
        id,
      );
      res = { ...res, items: r.order.map((i) => ranked[i]!) };
      propensity = r.propensity;
      randomized = r.logged;
    }
    const explored = this.exploration?.apply(req.scenario, id, res.items);
    if (explored) {
      res = { ...res, items: explored.items };
      const before = propensity;
      propensity = explored.propensity.map((p, k) => (explored.slots.has(k) ? p : (before?.[k] ?? p)));
    }
    const out: RecommendResponse = {
      ...res,
      recommendationId: id,
      ...(exp
        ? {
            experiment: {
              id: exp.id,
              ...(variant ? { variant } : {}),
              ...(versions ? { modelVersions: versions } : {}),
            },
          }
        : {}),
    };
    if (this.config.impressions)
      this.log.log(
        this.impressionOf(id, { ...req, user }, out, exp, variant, teams, {
          propensity,
          slots: explored?.slots,
          randomized,
        }),
      );
    return out;
  }

  /** an id for an answer made elsewhere (similar items); logged as the user's impression when given */
  stamp(
    user: string | undefined,
    scenario: string | undefined,
    items: readonly Recommendation[],
    modelVersion: string,
  ): string {
    const id = timeOrderedId();
    if (user === undefined || scenario === undefined || !this.config.impressions) return id;
    this.log.log({
      id,
      user,
      scenario,
      ts: Date.now(),
      modelVersion,
      items: items.map((r, position) => ({ item: r.item, position, score: r.score })),
    });
    return id;
  }

  private impressionOf(
    id: string,
    req: ValidRecommendRequest & { user: string },
    res: RecommendResponse,
    exp: Experiment | undefined,
    variant: string | undefined,
    teams: Map<string, string> | undefined,
    policy: {
      propensity: readonly number[] | undefined;
      slots: ReadonlySet<number> | undefined;
      randomized: LoggedRandomization | undefined;
    },
  ): Impression {
    return {
      id,
      user: req.user,
      scenario: req.scenario,
      ts: Date.now(),
      modelVersion: res.modelVersion,
      ...(exp ? { experiment: exp.id } : {}),
      ...(variant ? { variant } : {}),
      ...(req.context ? { context: req.context } : {}),
      items: res.items.map((r, position): ImpressionItem => {
        const team = teams?.get(r.item);
        const p = policy.propensity?.[position];
        const version = team ? res.experiment?.modelVersions?.[team] : undefined;
        return {
          item: r.item,
          position,
          score: r.score,
          ...(team ? { team } : {}),
          ...(p !== undefined ? { propensity: p } : {}),
          ...(version !== undefined ? { modelVersion: version } : {}),
          ...(policy.slots?.has(position) ? { explored: true } : {}),
        };
      }),
      ...(policy.randomized ? { randomized: policy.randomized } : {}),
    };
  }

  /**
   * The attributions of a batch of valid events, checked before anything is written: a cited id
   * that is unknown or another user's is NOT_FOUND (the same answer for both, so ids of other
   * users cannot be probed); an item the cited list did not show is INVALID_INPUT.
   */
  async resolve(events: readonly Event[], prefix: (i: number) => string): Promise<Attribution[]> {
    const out: Attribution[] = [];
    const windowMs = this.config.attributionWindowSeconds * 1000;
    for (const [i, e] of events.entries()) {
      const cited = e.recommendationId;
      const credited = this.credited.has(e.type);
      let imp: Impression | undefined;
      if (cited !== undefined) {
        imp = await this.log.find(cited);
        // another process may hold it in its queue: one more look after its flush interval
        if (!imp) imp = await this.later(cited);
        if (!imp || imp.user !== e.user)
          throw new RecError('NOT_FOUND', `no recommendation "${cited}" for user "${e.user}"`, {
            field: `${prefix(i)}recommendationId`,
          });
        if (!imp.items.some((x) => x.item === e.item))
          throw new RecError('INVALID_INPUT', `recommendation "${cited}" did not show item "${e.item}"`, {
            field: `${prefix(i)}item`,
          });
      } else if (credited && windowMs > 0 && this.config.impressions) {
        imp = await this.log.latestShowing(e.user, e.item, e.ts - windowMs, e.ts);
      }
      if (imp && credited)
        out.push({ event: e.id, impression: imp.id, user: e.user, item: e.item, type: e.type, ts: e.ts });
    }
    return out;
  }

  private async later(id: string): Promise<Impression | undefined> {
    await new Promise((r) => setTimeout(r, this.config.flushMs + 50));
    return this.log.find(id);
  }

  /** records attributions of events already made durable; their impressions are written first */
  async attribute(rows: readonly Attribution[]): Promise<void> {
    if (rows.length === 0) return;
    await this.log.flush();
    await this.store.impressions.attribute(rows);
  }

  /** per-variant click-through and conversion of an experiment, from the store */
  async status(id: string): Promise<ExperimentStats & { log: ImpressionLogStats }> {
    const e = await this.experiments.get(id);
    await this.log.flush();
    const tally = new ExperimentTally(e, {
      click: new Set([...this.config.attributeTypes, ...this.config.conversionTypes]),
      conversion: new Set(this.config.conversionTypes),
    });
    let after: number | undefined = 0;
    while (after !== undefined) {
      const page = await this.store.impressions.scan({ experiment: id, afterSeq: after, limit: PAGE });
      tally.add(
        page.impressions,
        await this.store.impressions.attributionsOf(page.impressions.map((i) => i.id)),
      );
      after = page.next;
    }
    return { ...tally.result(), log: this.log.stats() };
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/**
 * A UUID version 7: 48 bits of epoch milliseconds, then random bits. Ids of one period sort
 * together, so the store's id index grows at its end instead of at random places.
 */
function timeOrderedId(now = Date.now()): string {
  const ms = now.toString(16).padStart(12, '0').slice(-12);
  const r = randomUUID();
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${r.slice(15)}`;
}

/**
 * The experiments of a store without an engine (the CLI): a scenario is known when the store or
 * the config lists it.
 */
export function experimentAdmin(store: Store, config: Config): ExperimentAdmin {
  const f = new Feedback(store, config.feedback);
  let known: Set<string> | undefined;
  return {
    async create(input) {
      const ids = new Set([...(await store.scenarios.list()), ...config.scenarios].map((x) => x.id));
      known = ids;
      return f.experiments.create(input, async (e) => {
        if (!known?.has(e.scenario))
          throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${e.scenario}"`, { field: 'scenario' });
        // a version that is stored; whether it fits the served catalog, the serving engine checks
        for (const [i, v] of e.variants.entries())
          if (v.modelVersion !== undefined)
            await requireVersion(store, v.modelVersion, `variants[${i}].modelVersion`, 'INVALID_INPUT');
      });
    },
    list: () => f.experiments.list(),
    stop: (id) => f.experiments.stop(id),
    status: (id) => f.status(id),
  };
}

/**
 * Replays an experiment's explored slots for a candidate slot policy: `logging` (the policy that
 * made the log: an on-policy check) or `item:<id>` (that item always in the slot).
 */
export async function replayExperiment(
  store: DataStore,
  config: Config,
  experiment: string,
  candidate: string,
): Promise<ReplayEstimate> {
  await new Experiments(store).get(experiment);
  let policy: SlotPolicy;
  if (candidate === 'logging')
    policy = (imp, item) => imp.items.find((x) => x.item === item)?.propensity ?? 0;
  else if (candidate.startsWith('item:')) {
    const id = candidate.slice('item:'.length);
    policy = (_imp, item) => (item === id ? 1 : 0);
  } else
    throw new RecError('INVALID_INPUT', `unknown candidate "${candidate}" (logging or item:<id>)`, {
      field: 'candidate',
    });
  const clicks = new Set([...config.feedback.attributeTypes, ...config.feedback.conversionTypes]);
  return snips(await slotSamples(store, experiment, policy, clicks));
}

/**
 * One variant's answer. A worse-by-design arm (`random`, `reversed`) ranks a wider list and serves
 * it shuffled (seeded by the recommendation id) or worst-first.
 */
async function armAnswer(
  req: ValidRecommendRequest,
  v: Variant,
  answer: AnswerWith,
  id: string,
): Promise<RecommendResponse> {
  if (v.ranking === 'model') return answer(req, v);
  const wide = await answer({ ...req, n: Math.min(WIDE, Math.max(4 * req.n, 40)) }, v);
  const items = [...wide.items];
  if (v.ranking === 'reversed') items.reverse();
  else {
    const rng = seededRandom(Math.floor(stableUnit(`${id}:${v.name}`) * 2 ** 32));
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
  }
  return { ...wide, items: items.slice(0, req.n) };
}
