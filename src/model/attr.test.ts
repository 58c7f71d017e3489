import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../store/open.ts';
import { buildAttrGraph } from './attr.ts';
import { attributeTokens, attributeVectors, catalogTokens } from './attr-tokens.ts';
import { emptyGraphs } from './build.ts';
import { loadGraphs, saveGraphs } from './file.ts';
import { edgeWeight } from './graph.ts';

const neighbours = (g: NonNullable<ReturnType<typeof buildAttrGraph>>, a: number) =>
  Array.from(g.items.subarray(g.offsets[a]!, g.offsets[a + 1]!));

describe('attribute graph', () => {
  it('tokens: tags, every category prefix, text and boolean attributes, visual tags, audio words; each once', () => {
    const t = attributeTokens({
      tags: ['Vegan', 'vegan ', 'Gluten  Free'],
      category: ['Home', 'Kitchen'],
      attributes: { brand: 'Acme', price: 12, organic: true },
      image: { visualTags: ['red'] },
      audio: { descriptors: { mood: 'Calm', tempo: 120 } },
    });
    assert.deepEqual(t.sort(), [
      'attr:brand=acme',
      'attr:organic=true',
      'audio:mood=calm',
      'cat:home',
      'cat:home > kitchen',
      'tag:gluten free',
      'tag:vegan',
      'visual:red',
    ]);
    assert.deepEqual(attributeTokens({}), []);
  });

  it('title words where asked: letters and digits, two characters or more, no number alone', () => {
    const item = { title: 'PORTER-CABLE 4 1/2-Inch x 10yd 80 Grit Sanding Roll, Grit', category: ['Tools'] };
    assert.deepEqual(attributeTokens(item), ['cat:tools'], 'none unless asked');
    assert.deepEqual(attributeTokens(item, { titleWords: true }).sort(), [
      'cat:tools',
      'word:10yd',
      'word:cable',
      'word:grit',
      'word:inch',
      'word:porter',
      'word:roll',
      'word:sanding',
    ]);
    assert.deepEqual(attributeTokens({ title: 'Crème brûlée für 2' }, { titleWords: true }).sort(), [
      'word:brûlée',
      'word:crème',
      'word:für',
    ]);
  });

  it('a catalogue reads the titles of the items whose metadata links them to no other item, or all, or none', () => {
    const items = [
      { scenario: 's', title: 'Red mug', category: ['Cups'] },
      { scenario: 's', title: 'Blue mug', category: ['Cups'] },
      // an identifier only (held by no other item), and no metadata at all
      { scenario: 's', title: 'Red kettle', attributes: { asin: 'B01' } },
      { scenario: 's', title: 'Steel kettle' },
      // the same category in another scenario is not shared within its own
      { scenario: 'k', title: 'Green mug', category: ['Cups'] },
    ];
    const sorted = (t: string[][]) => t.map((r) => [...r].sort());
    assert.deepEqual(sorted(catalogTokens(items, 'missing')), [
      ['cat:cups'],
      ['cat:cups'],
      ['attr:asin=b01', 'word:kettle', 'word:red'],
      ['word:kettle', 'word:steel'],
      ['cat:cups', 'word:green', 'word:mug'],
    ]);
    assert.deepEqual(sorted(catalogTokens(items, 'never')), [
      ['cat:cups'],
      ['cat:cups'],
      ['attr:asin=b01'],
      [],
      ['cat:cups'],
    ]);
    assert.deepEqual(sorted(catalogTokens(items, 'always'))[0], ['cat:cups', 'word:mug', 'word:red']);
  });

  // items 0-2 share brand x (rare); 0-5 share category c (common); 6 has its own tag only; 7 is in
  // another scenario with brand x
  const tokens = [
    ['attr:brand=x', 'cat:c'],
    ['attr:brand=x', 'cat:c'],
    ['attr:brand=x', 'cat:c', 'tag:own'],
    ['cat:c'],
    ['cat:c'],
    ['cat:c'],
    ['tag:alone'],
    ['attr:brand=x', 'cat:c'],
  ];
  const scenario = [0, 0, 0, 0, 0, 0, 0, 1];
  const engagement = [1, 5, 2, 9, 0, 3, 0, 4];

  it('the rare shared token outweighs the common one, within the scenario, and single-item tokens link nothing', () => {
    const g = buildAttrGraph(tokens, scenario, engagement, { neighbours: 10, postings: 100 })!;
    // brand and category: the two other brand items first (the more engaged first on a tie), then
    // the category-only items by engagement
    assert.deepEqual(neighbours(g, 0), [1, 2, 3, 5, 4]);
    assert.ok(edgeWeight(g, 0, 1) > edgeWeight(g, 0, 3));
    // identical token sets: cosine 1
    assert.ok(Math.abs(edgeWeight(g, 0, 1) - 1) < 1e-6);
    // tag:own is held by one item: it does not dilute item 2's similarity to 0
    assert.ok(Math.abs(edgeWeight(g, 2, 0) - 1) < 1e-6);
    // the other scenario's brand-x item is no neighbour, and it has none of its own
    assert.equal(edgeWeight(g, 0, 7), 0);
    assert.deepEqual(neighbours(g, 7), []);
    // a token of one item alone gives no neighbour
    assert.deepEqual(neighbours(g, 6), []);
  });

  it('keeps the requested neighbours; cut token lists propose the most engaged items', () => {
    const g = buildAttrGraph(tokens, scenario, engagement, { neighbours: 2, postings: 100 })!;
    // the category-only items are identical to 3 (the more engaged first), the brand items less alike
    assert.deepEqual(neighbours(g, 3), [5, 4]);
    // category c's list cut to the 2 most engaged items (3 and 1): item 4 is proposed only those
    const cut = buildAttrGraph(tokens, scenario, engagement, { neighbours: 10, postings: 2 })!;
    assert.deepEqual(neighbours(cut, 4), [3, 1]);
    // a candidate from a cut list still gets its similarity over every shared token
    assert.ok(Math.abs(edgeWeight(cut, 0, 1) - edgeWeight(g, 0, 1)) < 1e-6);
  });

  it("matches the exact cosine of the IDF rows over the cut lists' candidates, whatever the lists' lengths", () => {
    // a seeded catalogue: two scenarios, tokens from a skewed vocabulary, one token most items hold
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const n = 120;
    const scen = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'b' : 'a'));
    const toks = Array.from({ length: n }, () => {
      const row = new Set(rnd() < 0.8 ? ['cat:common'] : []);
      const k = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < k; j++) row.add(`tag:${Math.floor(rnd() ** 2 * 40)}`);
      return [...row];
    });
    const eng = Array.from({ length: n }, () => Math.floor(rnd() * 10));
    // the reference: idf over the scenario, tokens of one item dropped, rows L2-normalised
    const df = new Map<string, number>();
    for (let i = 0; i < n; i++)
      for (const t of toks[i]!) df.set(`${scen[i]}|${t}`, (df.get(`${scen[i]}|${t}`) ?? 0) + 1);
    const size = (sc: string) => scen.filter((x) => x === sc).length;
    const rows = toks.map((ts, i) => {
      const kept = ts.filter((t) => df.get(`${scen[i]}|${t}`)! > 1);
      const w = kept.map((t) => Math.log((size(scen[i]!) + 1) / (df.get(`${scen[i]}|${t}`)! + 1)));
      const len = Math.hypot(...w);
      return new Map(kept.map((t, k) => [t, w[k]! / len]));
    });
    const cos = (a: number, b: number) => {
      let s = 0;
      for (const [t, w] of rows[a]!) s += w * (rows[b]!.get(t) ?? 0);
      return s;
    };
    for (const postings of [2, 5, 30, 1000])
      for (const k of [3, 25]) {
        const g = buildAttrGraph(toks, scen, eng, { neighbours: k, postings })!;
        for (let a = 0; a < n; a++) {
          const cand = new Set<number>();
          for (const t of rows[a]!.keys()) {
            const list = [...Array(n).keys()]
              .filter((b) => scen[b] === scen[a] && rows[b]!.has(t))
              .sort((x, y) => eng[y]! - eng[x]! || x - y);
            for (const b of list.slice(0, postings)) if (b !== a) cand.add(b);
          }
          const want = [...cand]
            .map((b) => [b, cos(a, b)] as const)
            .filter(([, s]) => s > 0)
            .sort((x, y) => y[1] - x[1] || eng[y[0]]! - eng[x[0]]! || x[0] - y[0])
            .slice(0, k);
          const got = neighbours(g, a);
          assert.equal(got.length, want.length, `item ${a}, postings ${postings}`);
          for (let j = 0; j < got.length; j++)
            assert.ok(Math.abs(edgeWeight(g, a, got[j]!) - want[j]![1]) < 1e-6, `item ${a} rank ${j}`);
          assert.deepEqual(
            got,
            want.map(([b]) => b),
            `item ${a}, postings ${postings}`,
          );
        }
      }
  });

  it('no graph without a shared token or with no neighbours asked', () => {
    assert.equal(buildAttrGraph([['a'], ['b']], [0, 0], [0, 0]), undefined);
    assert.equal(buildAttrGraph([['a'], ['a']], [0, 1], [0, 0]), undefined);
    assert.equal(buildAttrGraph(tokens, scenario, engagement, { neighbours: 0, postings: 10 }), undefined);
  });

  it('is saved with the graphs and loads back; graphs without one load without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fr-attr-'));
    const store = await openStore(join(dir, 'g.db'));
    try {
      const graphs = { ...emptyGraphs(8), attr: buildAttrGraph(tokens, scenario, engagement) };
      await saveGraphs(store, 'k', 's', graphs);
      assert.deepEqual((await loadGraphs(store, 'k', 's'))?.attr, graphs.attr);
      await saveGraphs(store, 'k', 's2', emptyGraphs(8));
      assert.equal((await loadGraphs(store, 'k', 's2'))?.attr, undefined);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vectors: unit rows whose dot products follow the shared tokens; a token of one item is left out', () => {
    const v = attributeVectors(tokens, scenario, 64)!;
    const row = (i: number) => v.data.subarray(i * 64, (i + 1) * 64);
    const dot = (a: number, b: number) => row(a).reduce((s, x, d) => s + x * row(b)[d]!, 0);
    for (const i of [0, 2, 3]) assert.ok(Math.abs(dot(i, i) - 1) < 1e-5);
    // 0 and 2 differ by tag:own, held by 2 alone: the same vector
    assert.ok(Math.abs(dot(0, 2) - 1) < 1e-5);
    // the shared brand makes 0 and 1 closer than 0 and a category-only item
    assert.ok(dot(0, 1) > dot(0, 3) + 0.5);
    // nothing shared: a zero row (6's tag and 7's tokens are alone in their scenario)
    assert.equal(dot(6, 6), 0);
    assert.equal(dot(7, 7), 0);
    assert.equal(attributeVectors([['a'], ['b']], [0, 0]), undefined);
  });
});
