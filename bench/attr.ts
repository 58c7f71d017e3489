/**
 * The attribute graph's cost on a real catalogue: CPU seconds of building the graph
 * (src/model/attr.ts) for each neighbour count and of the hashed metadata vectors, the tokens and
 * edges it yields, from the items of an imported store.
 * Run: node --import tsx bench/attr.ts --db .cache/beauty.db --neighbours 50,100,300 [--title-words never|missing|always]
 * (any store `fusionrec import` wrote, e.g. `fusionrec import --format beauty --db X ../shared/data/beauty`).
 */
import { parseArgs } from 'node:util';
import { loadCatalog } from '../src/engine/snapshot.ts';
import { buildAttrGraph } from '../src/model/attr.ts';
import { attributeVectors, type TitleWords } from '../src/model/attr-tokens.ts';
import { openStore } from '../src/store/open.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    neighbours: { type: 'string', default: '50,100,300' },
    postings: { type: 'string', default: '1000' },
    'title-words': { type: 'string', default: 'never' },
  },
});
if (!values.db) throw new Error('give --db FILE (a store written by fusionrec import)');

const store = await openStore(values.db);
try {
  const catalog = await loadCatalog(store, undefined, { titleWords: values['title-words'] as TitleWords });
  // the engagement order only breaks ties: the item index stands in for it here
  const engagement = Float32Array.from(catalog.itemIds, (_, i) => -i);
  const tokens = catalog.attrTokens.reduce((s, t) => s + t.length, 0);
  const distinct = new Set(catalog.attrTokens.flat()).size;
  console.log(`${catalog.itemIds.length} items, ${tokens} tokens (${distinct} distinct)`);
  const cpu = () => process.cpuUsage().user / 1e6;
  for (const postings of values.postings.split(',').map(Number))
    for (const neighbours of values.neighbours.split(',').map(Number)) {
      const t0 = cpu();
      const g = buildAttrGraph(catalog.attrTokens, catalog.itemScenario, engagement, {
        neighbours,
        postings,
      });
      const s = cpu() - t0;
      console.log(
        `graph: neighbours ${neighbours}, postings ${postings}: ${s.toFixed(2)} s CPU, ${g?.items.length ?? 0} edges`,
      );
    }
  const t0 = cpu();
  const v = attributeVectors(catalog.attrTokens, catalog.itemScenario);
  console.log(`hashed vectors (${v?.dim ?? 0} slots): ${(cpu() - t0).toFixed(2)} s CPU`);
} finally {
  await store.close();
}
