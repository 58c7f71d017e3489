/**
 * The dashboard in headless Chromium against a real server (real engine, demo data): the map shows
 * interests across scenarios, every scenario has recommendations with reasons, acting as the user
 * changes them, and the system page shows counts and latency. Screenshots go to screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type DemoServer, startDemoServer } from './server-fixture.ts';

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
});
