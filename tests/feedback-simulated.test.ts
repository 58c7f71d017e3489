/**
 * Simulated users (src/demo/simulate.ts) drive an interleaving experiment through the HTTP API:
 * the engine's ranking against the same ranking served worst-first. Users click by their known
 * taste model and post the clicks citing the answer's id; the status must find the model better.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sessionRandom, tasteModel } from '../src/demo/simulate.ts';
import { marginal } from '../src/engine/randomize.ts';
import { replayCandidate } from '../src/engine/replay-candidate.ts';
import { call, type DemoServer, startDemoServer } from './server-fixture.ts';

describe('simulated users through the HTTP API', () => {
  let s: DemoServer;
  before(async () => {
    s = await startDemoServer({
      feedback: { flushMs: 20, randomize: { shop: { epsilon: 0.5, top: 10, seed: 3 } } },
    });
  });
  after(async () => {
    await s?.close();
  });

  test('interleaving finds the known-better ranking; A/B serves each arm to its share', async () => {
    const users = await s.rt.store.users.list({ limit: 1000 });
    const items = await s.rt.store.items.list({ limit: 10_000 });
    const taste = tasteModel({ users, items });
    assert.equal(
      (
        await call(s.url, 'POST', '/v1/experiments', {
          id: 'shop-il',
          scenario: 'shop',
          kind: 'interleave',
          variants: [{ name: 'model' }, { name: 'worst-first', ranking: 'reversed' }],
        })
      ).status,
      201,
    );
    let seq = 0;
    // four lists a user: the team draft's coin flips are seeded by each list's random id, and with
    // two lists the sign test was inconclusive in about one run in ten, with three still in some
    for (let round = 0; round < 4; round++) {
      const events: unknown[] = [];
      for (const u of users) {
        const r = await call(s.url, 'POST', '/v1/recommend', { user: u.id, scenario: 'shop', n: 10 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const shown = r.body.items.map((x: { item: string }) => x.item as string);
        for (const p of taste.clicks(u.id, shown, sessionRandom(round, u.id)))
          events.push({
            id: `sim-${++seq}`,
            user: u.id,
            item: shown[p],
            scenario: 'shop',
            type: 'click',
            ts: Date.now(),
            recommendationId: r.body.recommendationId,
          });
      }
      assert.equal((await call(s.url, 'POST', '/v1/events/batch', { events })).status, 200);
    }
    const status = (await call(s.url, 'GET', '/v1/experiments/shop-il')).body;
    assert.equal(status.interleaving.impressions, 4 * users.length);
    assert.ok(
      status.interleaving.wins.model > status.interleaving.wins['worst-first'],
      JSON.stringify(status),
    );
    assert.equal(status.interleaving.preference.verdict, 'worse', 'the worst-first arm is found worse');
    assert.equal((await call(s.url, 'POST', '/v1/experiments/shop-il/stop')).status, 200);

    // A/B with a 3:1 split: every user keeps an arm, and the arms' sizes follow the shares
    await call(s.url, 'POST', '/v1/experiments', {
      id: 'shop-ab',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'model', share: 0.75 },
        { name: 'random', share: 0.25, ranking: 'random' },
      ],
    });
    const arms = new Map<string, string>();
    for (const u of users) {
      const r = await call(s.url, 'POST', '/v1/recommend', { user: u.id, scenario: 'shop', n: 5 });
      arms.set(u.id, r.body.experiment.variant);
    }
    const ab = (await call(s.url, 'GET', '/v1/experiments/shop-ab')).body;
    const size = (v: string) => [...arms.values()].filter((a) => a === v).length;
    assert.deepEqual(
      ab.variants.map((v: { variant: string; users: number }) => [v.variant, v.users]),
      [
        ['model', size('model')],
        ['random', size('random')],
      ],
    );
    // 40 users at p = 0.25: 10 expected, 2.7 standard deviations
    assert.ok(size('random') >= 2 && size('random') <= 20, String(size('random')));
  });

  test('randomized logging logs exact marginals; replay estimates whole lists of the logging ranking', async () => {
    const users = await s.rt.store.users.list({ limit: 1000 });
    const items = await s.rt.store.items.list({ limit: 10_000 });
    const taste = tasteModel({ users, items });
    await call(s.url, 'POST', '/v1/experiments/shop-ab/stop');
    const created = await call(s.url, 'POST', '/v1/experiments', {
      id: 'shop-log',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'model', share: 1 },
        { name: 'none', share: 0 },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    let seq = 0;
    for (let round = 0; round < 5; round++) {
      const events: unknown[] = [];
      for (const u of users) {
        const r = await call(s.url, 'POST', '/v1/recommend', { user: u.id, scenario: 'shop', n: 6 });
        const shown = r.body.items.map((x: { item: string }) => x.item as string);
        for (const p of taste.clicks(u.id, shown, sessionRandom(10 + round, u.id)))
          events.push({
            id: `log-${++seq}`,
            user: u.id,
            item: shown[p],
            scenario: 'shop',
            type: 'click',
            ts: Date.now(),
            recommendationId: r.body.recommendationId,
          });
      }
      assert.equal((await call(s.url, 'POST', '/v1/events/batch', { events })).status, 200);
    }
    await call(s.url, 'GET', '/v1/experiments/shop-log'); // writes the queued impressions
    const { impressions } = await s.rt.store.impressions.scan({
      experiment: 'shop-log',
      afterSeq: 0,
      limit: 1000,
    });
    assert.equal(impressions.length, 5 * users.length);
    let shuffled = 0;
    for (const imp of impressions) {
      const r = imp.randomized!;
      assert.equal(r.ranked.length, 10);
      for (const [k, x] of imp.items.entries()) assert.equal(x.propensity, marginal(r, x.item, k));
      if (imp.items.some((x, k) => x.item !== r.ranked[k])) shuffled++;
    }
    // half the answers are shuffled (a shuffle may leave the first six in place, rarely)
    assert.ok(shuffled > impressions.length / 4 && shuffled < (3 * impressions.length) / 4, String(shuffled));
    const ranking = await replayCandidate(s.rt.store, s.rt.config, 'shop-log', 'ranking');
    assert.equal(ranking.kind, 'list');
    assert.ok(ranking.supported, JSON.stringify(ranking));
    assert.ok(ranking.estimate > 0 && ranking.estimate < 6, JSON.stringify(ranking));
    // a version the store does not serve: no lists to compute; an unknown one: a bad candidate
    await assert.rejects(
      replayCandidate(s.rt.store, s.rt.config, 'shop-log', 'untrained-0-0-0', { encoder: null }),
      { code: 'CONFLICT', message: /the store serves model version/ },
    );
    await assert.rejects(replayCandidate(s.rt.store, s.rt.config, 'shop-log', 'best'), {
      code: 'INVALID_INPUT',
    });
  });
});
