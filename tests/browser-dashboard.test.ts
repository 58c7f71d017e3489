/**
 * The dashboard in headless Chromium against a real server (real engine, demo data): the map shows
 * interests across scenarios, every scenario has recommendations with reasons, acting as the user
 * changes them, the system page shows counts and latency, and the experiments page shows the
 * numbers the experiment status API gives for seeded traffic. Screenshots go to screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { call, type DemoServer, startDemoServer } from './server-fixture.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = new URL('../screenshots/', import.meta.url).pathname;

describe('dashboard in headless Chromium', () => {
  let s: DemoServer;
  let browser: BrowserContext;
  let page: Page;
  let profileDir: string;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
    mkdirSync(SHOTS, { recursive: true });
    s = await startDemoServer();
    profileDir = mkdtempSync(join(tmpdir(), 'fusionrec-chromium-'));
    // a fresh profile folder per run (playwright passes it as --user-data-dir)
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 1100 },
    });
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${s.url}/#user=u001`);
    await page.waitForFunction(() => document.body.dataset.loading === 'false', undefined, {
      timeout: 60_000,
    });
    assert.deepEqual(errors, [], 'no errors in the page');
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  test('the map shows items and interest centres across scenarios', async () => {
    assert.equal(
      await page.locator('#error').isHidden(),
      true,
      String(await page.locator('#error').textContent()),
    );
    const dots = await page.locator('#map circle.item').count();
    assert.ok(dots >= 10, `${dots} item dots`);
    assert.ok((await page.locator('[data-testid=interest-centre]').count()) >= 1);
    const scenarios = await page
      .locator('#map circle.item')
      .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-scenario')))]);
    assert.ok(scenarios.length >= 2, `map spans ${scenarios.join(', ')}`);
    assert.ok((await page.locator('[data-testid=interests] li').count()) >= 1);
  });

  test('recommendations per scenario, each with reasons', async () => {
    for (const scenario of ['shop', 'music', 'video', 'news']) {
      const items = page.locator(`[data-testid=recommendations] [data-scenario=${scenario}] li`);
      assert.ok((await items.count()) >= 5, scenario);
      assert.match(String(await items.first().locator('.why').textContent()), /via /);
    }
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });
  });

  test('acting as the user changes the recommendations', async () => {
    const list = () =>
      page
        .locator('[data-testid=recommendations] [data-scenario=news] li')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-item')));
    const before = await list();
    const acted: string[] = [];
    for (const action of ['like', 'buy']) {
      // an item the user has now consumed leaves the news list (no repeats there): pick afresh
      const options = await page
        .locator('[data-testid=act-item] option')
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      const target = options.find((v) => v.startsWith('news|') && !acted.includes(v));
      assert.ok(target, 'a news item to act on');
      acted.push(target);
      const refreshes = Number(await page.evaluate(() => document.body.dataset.refreshes));
      await page.selectOption('[data-testid=act-item]', target);
      await page.selectOption('[data-testid=act-type]', action);
      await page.click('[data-testid=act-submit]');
      await page.waitForFunction((n) => Number(document.body.dataset.refreshes) > n, refreshes);
      await page.waitForFunction(() => document.body.dataset.loading === 'false');
    }
    assert.match(String(await page.locator('[data-testid=act-status]').textContent()), /recorded/);
    const afterIds = await list();
    assert.notDeepEqual(afterIds, before);
    for (const t of acted)
      assert.ok(!afterIds.includes(t.split('|')[1]!), `${t} consumed, so no longer recommended`);
    assert.equal(
      await page.locator('[data-testid=history] li').first().getAttribute('data-item'),
      acted[acted.length - 1]!.split('|')[1],
      'the last event is first in the history',
    );
    await page.screenshot({ path: join(SHOTS, 'dashboard-after-events.png'), fullPage: true });
  });

  test('context and diversity controls re-query the engine', async () => {
    await page.selectOption('#device', 'tv');
    await page.locator('#diversity').fill('0.9');
    await page.locator('#diversity').dispatchEvent('change');
    await page.waitForFunction(() => document.body.dataset.loading === 'false');
    assert.equal(await page.locator('#diversity-out').textContent(), '0.90');
    assert.ok((await page.locator('[data-testid=recommendations] li').count()) >= 20);
  });

  /** a second tab on the same server, its page errors collected */
  async function freshPage(): Promise<{ tab: Page; errors: string[] }> {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    return { tab, errors };
  }
  const idle = (tab: Page) =>
    tab.waitForFunction(() => document.body.dataset.loading === 'false', undefined, { timeout: 60_000 });

  test('a loading indicator shows while the data is on its way, and goes once it has come', async () => {
    const { tab, errors } = await freshPage();
    // hold every recommendation request until the indicator has been seen
    const held: (() => Promise<void>)[] = [];
    await tab.route('**/v1/recommend', (route) => {
      held.push(() => route.continue());
    });
    try {
      await tab.goto(`${s.url}/#user=u001`);
      await tab.waitForFunction(() => document.body.dataset.loading === 'true');
      assert.equal(await tab.locator('[data-testid=loading]').isVisible(), true);
      assert.match(String(await tab.locator('[data-testid=loading]').textContent()), /Loading/);
      assert.equal(await tab.locator('[data-testid=recommendations] li').count(), 0);
      // one request per scenario, all held
      while (held.length < 4) await new Promise((r) => setTimeout(r, 50));
      for (const go of held.splice(0)) await go();
      await idle(tab);
      assert.equal(await tab.locator('[data-testid=loading]').isHidden(), true);
      assert.ok((await tab.locator('[data-testid=recommendations] li').count()) >= 20);
      assert.deepEqual(errors, []);
    } finally {
      await tab.close();
    }
  });

  test('an unknown #user= says so and shows no other user; a known one loads', async () => {
    const { tab, errors } = await freshPage();
    try {
      await tab.goto(`${s.url}/#user=nobody-here`);
      await idle(tab);
      assert.match(String(await tab.locator('#error').textContent()), /unknown user “nobody-here”/);
      assert.equal(await tab.locator('#error').isVisible(), true);
      assert.equal(await tab.locator('#user').inputValue(), '', 'no user is selected');
      assert.equal(await tab.locator('[data-testid=recommendations] li').count(), 0);
      assert.equal(await tab.locator('#map circle.item').count(), 0);
      // a link to a real user (the address changes, the page does not reload)
      await tab.evaluate(() => {
        location.hash = '#user=u002';
      });
      await tab.waitForFunction(
        () => (document.getElementById('user') as HTMLSelectElement).value === 'u002',
      );
      await idle(tab);
      assert.equal(await tab.locator('#error').isHidden(), true);
      assert.ok((await tab.locator('[data-testid=recommendations] li').count()) >= 20);
      // and back to an unknown one: the last user's lists are cleared, not left standing
      await tab.evaluate(() => {
        location.hash = '#user=u999999';
      });
      await tab.waitForFunction(() => /u999999/.test(document.getElementById('error')?.textContent ?? ''));
      await idle(tab);
      assert.equal(await tab.locator('[data-testid=recommendations] li').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await tab.close();
    }
  });

  test('at 390 px wide (a phone) neither page scrolls sideways', async () => {
    const { tab, errors } = await freshPage();
    try {
      await tab.setViewportSize({ width: 390, height: 844 });
      await tab.goto(`${s.url}/#user=u001`);
      await idle(tab);
      const width = () => tab.evaluate(() => document.documentElement.scrollWidth);
      assert.ok((await tab.locator('[data-testid=recommendations] li').count()) >= 20);
      assert.ok((await width()) <= 390, `user page is ${await width()} px wide`);
      await tab.screenshot({ path: join(SHOTS, 'dashboard-390.png'), fullPage: true });
      await tab.click('button[data-page=system]');
      await tab.waitForSelector('[data-testid=system] table');
      assert.ok((await width()) <= 390, `system page is ${await width()} px wide`);
      assert.deepEqual(errors, []);
    } finally {
      await tab.close();
    }
  });

  test('the system page shows counts, versions and latency', async () => {
    await page.click('button[data-page=system]');
    await page.waitForSelector('[data-testid=system] table');
    const text = String(await page.locator('[data-testid=system]').textContent());
    assert.match(text, /POST \/v1\/recommend/);
    assert.match(text, /use-lite/);
    await page.screenshot({ path: join(SHOTS, 'system.png'), fullPage: true });
  });
  /** the page's formatting of a rate (web/experiments.js) */
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const interval = (r: { low: number; high: number }) => `${pct(r.low)} … ${pct(r.high)}`;

  test('the experiments page shows per variant the numbers of the status API, with intervals and verdicts', async () => {
    // seeded traffic through the API: an A/B test in shop (clicks and purchases) and an
    // interleaving in news, clicks citing each answer's id
    const ab = await call(s.url, 'POST', '/v1/experiments', {
      id: 'shop-dash',
      scenario: 'shop',
      kind: 'ab',
      variants: [
        { name: 'control', share: 0.5 },
        { name: 'worse', share: 0.5, ranking: 'reversed' },
      ],
    });
    assert.equal(ab.status, 201, JSON.stringify(ab.body));
    const il = await call(s.url, 'POST', '/v1/experiments', {
      id: 'news-dash',
      scenario: 'news',
      kind: 'interleave',
      variants: [{ name: 'model' }, { name: 'random', ranking: 'random' }],
    });
    assert.equal(il.status, 201, JSON.stringify(il.body));
    const events: unknown[] = [];
    let n = 0;
    for (let k = 1; k <= 30; k++) {
      const user = `u${String(k).padStart(3, '0')}`;
      for (const scenario of ['shop', 'news']) {
        const r = await call(s.url, 'POST', '/v1/recommend', { user, scenario, n: 5 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const { recommendationId, items } = r.body;
        const ev = (item: string, type: string) => ({
          id: `dash-${++n}`,
          user,
          item,
          scenario,
          type,
          ts: Date.now(),
          recommendationId,
        });
        if (k % 2 === 0) events.push(ev(items[k % items.length].item, 'click'));
        if (scenario === 'shop' && k % 3 === 0) events.push(ev(items[0].item, 'purchase'));
      }
    }
    assert.equal((await call(s.url, 'POST', '/v1/events/batch', { events })).status, 200);

    await page.click('button[data-page=experiments]');
    await page.waitForSelector('[data-experiment=news-dash] [data-testid=experiment-variants]');
    await page.waitForFunction(() => document.body.dataset.loading === 'false');
    assert.equal(
      await page.locator('#error').isHidden(),
      true,
      String(await page.locator('#error').textContent()),
    );
    for (const id of ['shop-dash', 'news-dash']) {
      const status = (await call(s.url, 'GET', `/v1/experiments/${id}`)).body;
      const section = page.locator(`[data-experiment=${id}]`);
      for (const v of status.variants) {
        const row = section.locator(`tr[data-variant=${v.variant}]`);
        const shown = async (field: string) =>
          String(await row.locator(`[data-field=${field}]`).first().textContent());
        assert.equal(await shown('impressions'), String(v.impressions), `${id} ${v.variant} lists`);
        assert.equal(await shown('users'), String(v.users));
        assert.equal(await shown('clicked'), String(v.clicked));
        assert.equal(await shown('converted'), String(v.converted));
        assert.equal(await shown('clickThrough'), pct(v.clickThrough.rate));
        assert.equal(await shown('clickThroughInterval'), interval(v.clickThrough));
        assert.equal(await shown('conversion'), pct(v.conversion.rate));
        assert.equal(await shown('conversionInterval'), interval(v.conversion));
        const d = v.vsControl;
        if (!d) continue;
        assert.equal(
          await shown('clickThroughDiff'),
          `${pct(d.clickThrough.diff)} (${interval(d.clickThrough)})`,
        );
        const verdict = {
          better: `${v.variant} better`,
          worse: 'control better',
          inconclusive: 'no verdict yet',
        }[d.clickThrough.verdict as 'better' | 'worse' | 'inconclusive'];
        assert.equal(await shown('verdict'), verdict);
        assert.equal(await shown('conversionDiff'), `${pct(d.conversion.diff)} (${interval(d.conversion)})`);
        const conversionVerdict = {
          better: `${v.variant} better`,
          worse: 'control better',
          inconclusive: 'no verdict yet',
        }[d.conversion.verdict as 'better' | 'worse' | 'inconclusive'];
        assert.equal(
          String(await row.locator('[data-field=verdict]').nth(1).textContent()),
          conversionVerdict,
        );
      }
      assert.ok(
        status.variants.every((v: { impressions: number }) => v.impressions > 0),
        `${id}: every arm served`,
      );
    }
    // the seeded A/B arms did get clicks and purchases, so the page shows more than zeros
    const shop = (await call(s.url, 'GET', '/v1/experiments/shop-dash')).body;
    assert.ok(
      shop.variants.some((v: { clicked: number; converted: number }) => v.clicked > 0 && v.converted > 0),
    );
    const pref = (await call(s.url, 'GET', '/v1/experiments/news-dash')).body.interleaving.preference;
    const text = String(
      await page.locator('[data-experiment=news-dash] [data-testid=experiment-interleaving]').textContent(),
    );
    assert.ok(text.includes(`(95 % ${pref.low.toFixed(4)} … ${pref.high.toFixed(4)})`), text);
    assert.match(text, /random better|model better|no verdict yet/);
    const news = (await call(s.url, 'GET', '/v1/experiments/news-dash')).body.interleaving;
    const ilSection = page.locator('[data-experiment=news-dash] [data-testid=experiment-interleaving]');
    assert.equal(
      String(await ilSection.locator('[data-field=preference]').textContent()),
      `${news.impressions} interleaved lists; won by model: ${news.wins.model}, by random: ${news.wins.random}, ties: ${news.ties}. Preference for random: ${news.preference.diff.toFixed(4)} (95 % ${news.preference.low.toFixed(4)} … ${news.preference.high.toFixed(4)}) `,
    );
    assert.equal(
      String(await ilSection.locator('[data-field=verdict]').textContent()),
      { better: 'random better', worse: 'model better', inconclusive: 'no verdict yet' }[
        news.preference.verdict as 'better' | 'worse' | 'inconclusive'
      ],
    );
    await page.screenshot({ path: join(SHOTS, 'experiments.png'), fullPage: true });
    // on a phone the wide tables scroll inside their card: the page itself does not
    const { tab, errors } = await freshPage();
    try {
      await tab.setViewportSize({ width: 390, height: 844 });
      await tab.goto(`${s.url}/#user=u001`);
      await idle(tab);
      await tab.click('button[data-page=experiments]');
      await tab.waitForSelector('[data-experiment=shop-dash] [data-testid=experiment-variants]');
      const width = await tab.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `experiments page is ${width} px wide`);
      assert.deepEqual(errors, []);
    } finally {
      await tab.close();
    }
  });
});
