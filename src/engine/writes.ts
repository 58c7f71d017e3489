/**
 * The engine's write side: events, catalog changes, erasures and anonymous sessions, each made
 * durable (or refused) first and then applied to this engine's memory, then relayed to the other
 * server processes of the machine (`peers`) and the other nodes (the bus).
 */
import { createHash } from 'node:crypto';
import type { BusChange, EventCounts } from '../bus/types.ts';
import { RecError } from '../core/errors.ts';
import type { Event, EventInput, Item } from '../core/types.ts';
import { itemSchema, MAX_ID_LENGTH } from '../core/types.ts';
import { validate } from '../core/validate.ts';
import { encodeItems, fusionOptionsOf } from '../encode/catalog.ts';
import type { ScoringModel } from '../model/scoring.ts';
import type { ItemFacts } from '../rank/filter/facts.ts';
import type { AnswerCache } from './answer-cache.ts';
import type { EventChecks } from './check-events.ts';
import { eraseUser } from './erase-user.ts';
import type { Feedback } from './feedback.ts';
import { applyMemoryErasure, type MemoryErasure, memoryErasure } from './forget.ts';
import type { LiveItems } from './live-items.ts';
import type { ProfileMemo } from './memo.ts';
import type { EngineParts } from './parts.ts';
import type { Profiles } from './profiles.ts';
import { parseEvents, parseSessionEvents } from './requests.ts';
import type { ReviewSentiment } from './review-sentiment.ts';
import type { ExplanationSentences } from './sentences.ts';
import type { Sessions } from './sessions.ts';
import type { SharedSessions } from './shared-sessions.ts';
import type { InterestSummaries } from './summaries.ts';
import type { PeerChange, SessionEventsRequest } from './types.ts';
import { applyEvents } from './write-events.ts';
import { applyItems, dropItem, storedVectors } from './write-items.ts';

/** what the write side changes: the engine's parts and the memory it serves from */
export interface WriteTargets {
  p: EngineParts;
  model: ScoringModel;
  live: LiveItems;
  profiles: Profiles;
  memo: ProfileMemo;
  facts: ItemFacts;
  sessions: Sessions;
  sharedSessions: SharedSessions;
  sentences: ExplanationSentences;
  summaries: InterestSummaries | undefined;
  reviewSentiment: ReviewSentiment | undefined;
  feedback: Feedback;
  checks: EventChecks;
  answers: AnswerCache;
  /** the other server processes of this machine (src/serve/cluster.ts), read at each write */
  peers: () => ((change: PeerChange) => Promise<void>) | undefined;
  /** told after another node's change was applied here */
  remoteChanged: () => ((change: PeerChange) => void) | undefined;
  closed: () => boolean;
  /** the user's share of the model was taken out: models derived from it are dropped */
  erased: () => void;
}

export class EngineWrites {
  constructor(private readonly t: WriteTargets) {}

  /** what the bus delivers: durable events (every node's) and other nodes' changes */
  busHandlers() {
    return {
      events: async (fresh: Event[], position: number) => {
        // a bus shared with the runtime may deliver between the engine's close and its own
        if (this.t.closed()) return;
        this.applyEventsAt(fresh, position);
        // processes of one machine sharing a store relay their writes (src/serve/cluster.ts)
        const peers = this.t.peers();
        if (peers && this.t.p.bus.kind === 'local') await peers({ kind: 'events', events: fresh });
      },
      change: async (change: BusChange, position: number) => {
        if (this.t.closed()) return;
        // an erasure travels as the JSON its sender's forget.ts made
        const c = change as PeerChange;
        await this.applyPeerChange(c);
        this.t.answers.catalogChangedAt(position);
        this.t.remoteChanged()?.(c);
      },
    };
  }

  /** applies durable events; their users' cached answers are dropped and older ones refused */
  private applyEventsAt(fresh: readonly Event[], position: number): void {
    const { p, profiles } = this.t;
    profiles.remember(fresh);
    applyEvents(
      { model: this.t.model, profiles, popular: p.popular, trending: p.trending, lists: p.lists },
      fresh,
    );
    this.t.answers.eventsApplied(new Set(fresh.map((e) => e.user)), position);
  }

  private itemTargets() {
    const { index, popular, trending, lists } = this.t.p;
    const { model, live, memo, facts } = this.t;
    return { model, index, live, popular, trending, lists, memo, facts };
  }

  /**
   * Durable, then applied: the next recommendation reflects them. `one`: a single event
   * (`addEvent`), whose error names its own field.
   */
  async addEvents(events: readonly EventInput[], one = false): Promise<EventCounts> {
    const valid = parseEvents(events, one ? '' : 'events');
    const prefix = one ? () => '' : (i: number) => `events[${i}].`;
    await this.t.checks.check(valid, prefix);
    const credit = await this.t.feedback.resolve(valid, prefix);
    const counts = await this.t.p.bus.publishEvents(valid);
    await this.t.feedback.attribute(credit);
    return counts;
  }

  /**
   * A change another process made to the shared store (several server processes over one
   * database): applied to this engine's memory without writing again.
   */
  async applyPeerChange(c: PeerChange): Promise<void> {
    const { p } = this.t;
    if (c.kind === 'events') this.applyEventsAt(c.events, Date.now());
    else if (c.kind === 'deleteItem') {
      this.dropItem(c.id);
      this.t.answers.catalogChangedAt(p.bus.position());
    } else if (c.kind === 'deleteUser') {
      // impressions of the user this node still holds are not written after the erasure
      await this.t.feedback.log.erasing(c.user, async () => 0);
      this.forget(c.user, c.erasure);
      p.cache.forgetUsers([c.user]);
    } else if (c.kind === 'session') {
      const entries = c.events.map((e) => this.t.profiles.entryOf(e)).filter((h) => h !== undefined);
      this.t.sessions.add(c.session, entries);
    } else {
      const items = await p.store.items.getMany(c.ids);
      applyItems(this.itemTargets(), items, await storedVectors(p.store, p.encoder, this.t.model, items));
      this.t.answers.catalogChangedAt(p.bus.position());
    }
  }

  async upsertItems(input: readonly Item[]): Promise<void> {
    const { p, model } = this.t;
    const items = input.map((it, i) => validate(itemSchema, it, { prefix: `items[${i}]` }));
    // the other nodes must hear of it: refused before anything is written when they cannot
    p.bus.checkWritable();
    await p.store.items.upsert(items);
    if (p.encoder && model.dim > 0) {
      await encodeItems(p.store, p.encoder, items, fusionOptionsOf(p.config.encoder));
    }
    applyItems(this.itemTargets(), items, await storedVectors(p.store, p.encoder, model, items));
    const ids = items.map((it) => it.id);
    await this.t.peers()?.({ kind: 'items', ids });
    this.t.answers.catalogChangedAt(await p.bus.publishChange({ kind: 'items', ids }));
  }

  async deleteItem(id: string): Promise<boolean> {
    const { p } = this.t;
    p.bus.checkWritable();
    const existed = await p.store.items.delete(id);
    this.dropItem(id);
    await this.t.peers()?.({ kind: 'deleteItem', id });
    this.t.answers.catalogChangedAt(await p.bus.publishChange({ kind: 'deleteItem', id }));
    return existed;
  }

  /** a deleted item stops being served, and leaves the sessions that viewed it */
  private dropItem(id: string): void {
    dropItem(this.itemTargets(), id);
    const i = this.t.p.index.get(id);
    if (i !== undefined) this.t.sessions.forgetItem(i);
    void this.t.sharedSessions.forgetItem(id);
  }

  /**
   * Erases the user from the store, the stored model and this engine's memory (see erase-user.ts,
   * forget.ts), then from the other server processes' memory, before it returns.
   */
  async deleteUser(user: string): Promise<number> {
    const { p } = this.t;
    p.bus.checkWritable();
    // events of the user already accepted are made durable first, so they are erased with the rest
    await p.bus.drain();
    let erasure: MemoryErasure | undefined;
    // no queued impression of the user reaches the store after the erasure
    const n = await this.t.feedback.log.erasing(user, () =>
      eraseUser(p.store, p.config, user, async (source) => {
        erasure = await memoryErasure(source, { ...p, model: this.t.model });
        this.forget(user, erasure);
      }),
    );
    this.forget(user, undefined);
    const change = { kind: 'deleteUser' as const, user, ...(erasure ? { erasure } : {}) };
    await this.t.peers()?.(change);
    await p.bus.publishChange(change);
    p.cache.forgetUsers([user]);
    return n;
  }

  /** the user's profile and what requests memoised, and their share of the model when given */
  private forget(user: string, erasure: MemoryErasure | undefined): void {
    const { p } = this.t;
    this.t.profiles.forget(user);
    this.t.summaries?.forget(user);
    this.t.reviewSentiment?.forget(user);
    this.t.answers.forgetPosition(user);
    // cached sentences cite past items by title: none of the user's may outlive them
    this.t.sentences.forgetAll();
    p.lists.forgetUser(user);
    void this.t.sharedSessions.forgetItem(`user:${user}`);
    if (!erasure) return;
    const { index, popular, trending } = p;
    applyMemoryErasure({ model: this.t.model, index, popular, trending }, erasure);
    // other profiles' memoised candidates and scores were ranked with the user's share in the model
    this.t.memo.clear();
    this.t.erased();
  }

  /**
   * Items an anonymous session viewed, kept in memory for `engine.sessions.ttlMinutes`; with a
   * user they are also stored as that user's events (the session names them, so a retry is a
   * duplicate, not a second event).
   */
  async addSessionEvents(
    input: SessionEventsRequest,
  ): Promise<{ session: string; items: number; expiresAt: number }> {
    const { p, model: m } = this.t;
    const req = parseSessionEvents(input);
    const now = (p.clock ?? Date.now)();
    const events = req.events.map((e, i) => {
      const item = p.index.get(e.item);
      if (item === undefined || !this.t.live.available[item]) {
        throw new RecError('UNKNOWN_ITEM', `unknown item "${e.item}"`, { field: `events[${i}].item` });
      }
      const scenario = m.scenarios[m.scenarioCode[item]!]!;
      return { item: e.item, scenario, type: e.type, ts: e.ts ?? now };
    });
    if (req.user !== undefined) {
      const user = req.user;
      await this.addEvents(
        events.map((e) => ({
          id: sessionEventId(req.session, e),
          user,
          ...e,
          context: { session: req.session },
        })),
      );
    }
    const entries = events
      .map((e) => this.t.profiles.entryOf(e))
      .filter((h): h is NonNullable<typeof h> => h !== undefined);
    const kept = this.t.sessions.add(req.session, entries);
    await this.t.sharedSessions.append(req.session, events);
    // the other server processes of this machine serve the session too (never the bus: it persists)
    await this.t.peers()?.({ kind: 'session', session: req.session, events });
    return { session: req.session, ...kept };
  }
}

/**
 * A stored session event's id: the same for a retry of the same event (a duplicate, not a second
 * event), hashed when the readable form would pass the id length limit.
 */
function sessionEventId(session: string, e: { item: string; type: string; ts: number }): string {
  const id = `session:${session}:${e.item}:${e.type}:${e.ts}`;
  return id.length <= MAX_ID_LENGTH ? id : `session:${createHash('sha256').update(id).digest('base64url')}`;
}
