/**
 * The feedback loop over real HTTP with the real engine on the demo data: every answer carries a
 * recommendation id, clicks citing it (or citing none, within the window) are credited to the
 * variant that served it, and the experiment status counts them exactly. Bad input is refused
 * with nothing written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, type DemoServer, startDemoServer } from './server-fixture.ts';

const users = Array.from({ length: 24 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);
let seq = 0;
const click = (user: string, item: string, scenario: string, extra: Record<string, unknown> = {}) => ({
  id: `fb-${++seq}`,
  user,
  item,
  scenario,
  type: 'click',
  ts: Date.now(),
  ...extra,
});

describe('feedback: recommendation ids, attribution, experiments (HTTP, demo data)', () => {
  let s: DemoServer;
  before(async () => {
    s = await startDemoServer({ feedback: { flushMs: 20 } });
  });
  after(async () => {
    await s?.close();
  });

  test('A/B: each variant counts exactly the lists it served and the clicks credited to them', async () => {
    const created = await call(s.url, 'POST', '/v1/experiments', {
      id: 'news-diversity',
      scenario: 'news',
      kind: 'ab',
      variants: [
        { name: 'control', share: 0.5 },
        { name: 'diverse', share: 0.5, diversity: 0.9 },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const expected: Record<string, { impressions: number; clicked: number; users: Set<string> }> = {
      control: { impressions: 0, clicked: 0, users: new Set() },
      diverse: { impressions: 0, clicked: 0, users: new Set() },
    };
    const ids = new Set<string>();
    const events: unknown[] = [];
    for (const [k, user] of users.entries()) {
      for (let round = 0; round < 2; round++) {
        const r = await call(s.url, 'POST', '/v1/recommend', { user, scenario: 'news', n: 5 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const { recommendationId, experiment, items } = r.body;
        assert.equal(typeof recommendationId, 'string');
        assert.ok(!ids.has(recommendationId), 'a new id for every answer');
        ids.add(recommendationId);
        assert.equal(experiment.id, 'news-diversity');
        const e = expected[experiment.variant]!;
        e.impressions++;
        e.users.add(user);
        // a user keeps their variant
        if (round === 1) assert.ok(expected[experiment.variant]!.users.has(user));
        // clicks: every third list once with its id, two clicks on another list (counted once),
        // the second round of every fifth user without an id (credited by the window)
        if (k % 3 === 0) {
          events.push(click(user, items[1].item, 'news', { recommendationId }));
          e.clicked++;
        } else if (k % 3 === 1 && round === 0) {
          events.push(click(user, items[0].item, 'news', { recommendationId }));
          events.push(click(user, items[2].item, 'news', { recommendationId, type: 'like' }));
          e.clicked++;
        } else if (k % 5 === 2 && round === 1) {
          events.push(click(user, items[4].item, 'news'));
          e.clicked++;
        }
      }
    }
    // a view is not a click: citing an id is checked but credits nothing
    const last = await call(s.url, 'POST', '/v1/recommend', { user: 'u030', scenario: 'news', n: 3 });
    expected[last.body.experiment.variant]!.impressions++;
    expected[last.body.experiment.variant]!.users.add('u030');
    events.push(
      click('u030', last.body.items[0].item, 'news', {
        type: 'view',
        recommendationId: last.body.recommendationId,
      }),
    );
    const batch = await call(s.url, 'POST', '/v1/events/batch', { events });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    const status = await call(s.url, 'GET', '/v1/experiments/news-diversity');
    assert.equal(status.status, 200, JSON.stringify(status.body));
    for (const v of status.body.variants) {
      const e = expected[v.variant]!;
      assert.deepEqual(
        { impressions: v.impressions, clicked: v.clicked, users: v.users },
        { impressions: e.impressions, clicked: e.clicked, users: e.users.size },
        v.variant,
      );
      assert.ok(v.clickThrough.low <= v.clickThrough.rate && v.clickThrough.rate <= v.clickThrough.high);
    }
    assert.ok(expected.control!.impressions > 0 && expected.diverse!.impressions > 0, 'both arms served');
    assert.ok(
      ['better', 'worse', 'inconclusive'].includes(status.body.variants[1].vsControl.clickThrough.verdict),
    );
    assert.equal(status.body.log.dropped, 0);
    const stopped = await call(s.url, 'POST', '/v1/experiments/news-diversity/stop');
    assert.equal(stopped.body.status, 'stopped');
    const after = await call(s.url, 'POST', '/v1/recommend', { user: 'u001', scenario: 'news', n: 5 });
    assert.equal(after.body.experiment, undefined);
    assert.equal(typeof after.body.recommendationId, 'string');
  });

  test('interleaving: a click credits the variant whose ranking contributed the item', async () => {
    const created = await call(s.url, 'POST', '/v1/experiments', {
      id: 'music-vs-reversed',
      scenario: 'music',
      kind: 'interleave',
      variants: [{ name: 'model' }, { name: 'reversed', ranking: 'reversed' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // the id of a list, its items, and which team each came from (read back from the log)
    const wins = { model: 0, reversed: 0 };
    let ties = 0;
    const events: unknown[] = [];
    const lists: { id: string; user: string; items: string[] }[] = [];
    for (const user of users.slice(0, 12)) {
      const r = await call(s.url, 'POST', '/v1/recommend', { user, scenario: 'music', n: 6 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.items.length, 6);
      assert.equal(new Set(r.body.items.map((x: { item: string }) => x.item)).size, 6);
      lists.push({
        id: r.body.recommendationId,
        user,
        items: r.body.items.map((x: { item: string }) => x.item),
      });
    }
    await s.rt.engine.experiments!.status('music-vs-reversed');
    for (const [k, l] of lists.entries()) {
      const imp = (await s.rt.store.impressions.get(l.id))!;
      assert.deepEqual(
        imp.items.map((x) => x.item),
        l.items,
      );
      const teams = imp.items.map((x) => x.team);
      assert.ok(teams.every((t) => t === 'model' || t === 'reversed'));
      // team draft: the two teams' sizes differ by at most one
      const m = teams.filter((t) => t === 'model').length;
      assert.ok(Math.abs(m - (teams.length - m)) <= 1);
      // click positions 0 and k % 6: credit follows the teams of the clicked items
      const picked = [...new Set([0, k % 6])];
      let a = 0;
      let b = 0;
      for (const p of picked) {
        events.push(click(l.user, l.items[p]!, 'music', { recommendationId: l.id }));
        if (teams[p] === 'model') a++;
        else b++;
      }
      if (a > b) wins.model++;
      else if (b > a) wins.reversed++;
      else ties++;
    }
    assert.equal((await call(s.url, 'POST', '/v1/events/batch', { events })).status, 200);
    const status = (await call(s.url, 'GET', '/v1/experiments/music-vs-reversed')).body;
    assert.deepEqual(status.interleaving.wins, wins);
    assert.equal(status.interleaving.ties, ties);
    assert.equal(status.interleaving.impressions, 12);
  });

  test('bad input: 4xx naming the field, nothing written', async () => {
    const list = async () => (await call(s.url, 'GET', '/v1/experiments')).body.experiments.length;
    const before = await list();
    const shares = await call(s.url, 'POST', '/v1/experiments', {
      id: 'bad-shares',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'a', share: 0.5 },
        { name: 'b', share: 0.6 },
      ],
    });
    assert.equal(shares.status, 400);
    assert.equal(shares.body.error.field, 'variants');
    const scenario = await call(s.url, 'POST', '/v1/experiments', {
      id: 'bad-scenario',
      scenario: 'nowhere',
      kind: 'interleave',
      variants: [{ name: 'a' }, { name: 'b' }],
    });
    assert.equal(scenario.status, 400);
    assert.equal(scenario.body.error.code, 'UNKNOWN_SCENARIO');
    assert.equal(await list(), before);
    assert.equal((await call(s.url, 'GET', '/v1/experiments/nope')).status, 404);
    assert.equal((await call(s.url, 'POST', '/v1/experiments/nope/stop')).status, 404);

    const r = await call(s.url, 'POST', '/v1/recommend', { user: 'u002', scenario: 'shop', n: 3 });
    const { recommendationId } = r.body;
    const item = r.body.items[0].item;
    const events = () => s.rt.store.events.count();
    const n0 = await events();
    // another user's id and an unknown one: the same 404; an item the list did not show: 400
    const other = await call(s.url, 'POST', '/v1/events', click('u003', item, 'shop', { recommendationId }));
    assert.equal(other.status, 404);
    assert.equal(other.body.error.field, 'recommendationId');
    const unknown = await call(s.url, 'POST', '/v1/events/batch', {
      events: [click('u002', item, 'shop'), click('u002', item, 'shop', { recommendationId: 'no-such-id' })],
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.field, 'events[1].recommendationId');
    const shown = new Set(r.body.items.map((x: { item: string }) => x.item));
    const notShown = (await s.rt.store.items.list({ scenario: 'shop', limit: 20 })).find(
      (i) => !shown.has(i.id),
    )!.id;
    const res = await call(
      s.url,
      'POST',
      '/v1/events',
      click('u002', notShown, 'shop', { recommendationId }),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error.field, 'item');
    assert.equal(await events(), n0, 'no event written');
    assert.equal((await s.rt.store.impressions.attributionsOf([recommendationId])).length, 0);
  });

  test("a deleted user's impressions and attributions are erased with them", async () => {
    const r = await call(s.url, 'POST', '/v1/recommend', { user: 'u040', scenario: 'video', n: 3 });
    const id = r.body.recommendationId;
    const ok = await call(
      s.url,
      'POST',
      '/v1/events',
      click('u040', r.body.items[0].item, 'video', { recommendationId: id }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.notEqual(await s.rt.store.impressions.get(id), undefined);
    assert.equal((await s.rt.store.impressions.attributionsOf([id])).length, 1);
    // one more answer still queued when the erasure starts
    const queued = (await call(s.url, 'POST', '/v1/recommend', { user: 'u040', scenario: 'shop', n: 3 }))
      .body;
    assert.equal((await call(s.url, 'DELETE', '/v1/users/u040')).status, 200);
    await s.rt.engine.experiments!.list();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await s.rt.store.impressions.get(id), undefined);
    assert.equal(await s.rt.store.impressions.get(queued.recommendationId), undefined);
    assert.equal((await s.rt.store.impressions.attributionsOf([id])).length, 0);
  });

  test("a variant without fusion serves a scenario from its own history alone, a user's or an anonymous session's", async () => {
    // u028 never reads the news: fused, their other scenarios inform the news list; alone, nothing does
    const ask = async () =>
      (await call(s.url, 'POST', '/v1/recommend', { user: 'u028', scenario: 'news', n: 8 })).body;
    // a user without history is served from their anonymous session, whose items span two scenarios
    const session = await call(s.url, 'POST', '/v1/sessions/mixed-visit/events', {
      events: ['news-jazz-1', 'shop-rock-1', 'shop-rock-2', 'shop-rock-3'].map((item) => ({ item })),
    });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    const askInSession = async () =>
      (
        await call(s.url, 'POST', '/v1/recommend', {
          user: 'no-history-yet',
          scenario: 'news',
          n: 8,
          context: { session: 'mixed-visit' },
        })
      ).body;
    const fused = await ask();
    const fusedSession = await askInSession();
    assert.equal(fused.experiment, undefined);
    const created = await call(s.url, 'POST', '/v1/experiments', {
      id: 'news-alone',
      scenario: 'news',
      kind: 'ab',
      variants: [
        { name: 'alone', share: 1, fusion: false },
        { name: 'fused', share: 0 },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const alone = await ask();
    assert.equal(alone.experiment.variant, 'alone');
    assert.notDeepEqual(
      alone.items.map((x: { item: string }) => x.item),
      fused.items.map((x: { item: string }) => x.item),
    );
    // alone, nothing of another scenario is cited as a reason; fused, other scenarios are
    type Cited = { reasons: { history: { scenario: string }[] } };
    const cited = (res: { items: Cited[] }) =>
      res.items.flatMap((it) => it.reasons.history.map((h) => h.scenario));
    assert.ok(cited(alone).every((sc) => sc === 'news'));
    assert.ok(cited(fused).some((sc) => sc !== 'news'));
    // the same holds for the session's items
    const aloneSession = await askInSession();
    assert.equal(aloneSession.experiment.variant, 'alone');
    assert.equal(aloneSession.session, 'mixed-visit');
    assert.equal(fusedSession.session, 'mixed-visit');
    assert.ok(cited(aloneSession).length > 0);
    assert.ok(
      cited(aloneSession).every((sc) => sc === 'news'),
      cited(aloneSession).join(', '),
    );
    assert.ok(
      cited(fusedSession).some((sc) => sc !== 'news'),
      cited(fusedSession).join(', '),
    );
    await call(s.url, 'POST', '/v1/experiments/news-alone/stop');
  });

  test('similar items: an id for every answer, logged as the impression of the user it names', async () => {
    const anon = await call(s.url, 'GET', '/v1/items/shop-rock-1/similar?n=4');
    assert.equal(anon.status, 200, JSON.stringify(anon.body));
    assert.equal(typeof anon.body.recommendationId, 'string');
    const r = await call(s.url, 'GET', '/v1/items/shop-rock-1/similar?n=4&user=u031');
    const id = r.body.recommendationId;
    const ok = await call(
      s.url,
      'POST',
      '/v1/events',
      click('u031', r.body.items[0].item, r.body.items[0].scenario, { recommendationId: id }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await s.rt.store.impressions.get(id))?.user, 'u031');
    assert.equal((await s.rt.store.impressions.attributionsOf([id])).length, 1);
    // the anonymous answer was not logged: no event can cite it
    const cite = await call(
      s.url,
      'POST',
      '/v1/events',
      click('u031', anon.body.items[0].item, anon.body.items[0].scenario, {
        recommendationId: anon.body.recommendationId,
      }),
    );
    assert.equal(cite.status, 404);
  });
});
