/**
 * The attribute graphs' cost on a real catalogue: CPU seconds of building the similarity graph
 * and the transition graph (src/model/attr.ts, the latter from the store's training sequences) for
 * each neighbour count, and of the hashed metadata vectors; the tokens and edges they yield, from
 * the items and events of an imported store.
 * Run: node --import tsx bench/attr.ts --db .cache/beauty.db --neighbours 50,100,300
 * (any store `fusionrec import` wrote, e.g. `fusionrec import --format beauty --db X ../shared/data/beauty`).
 */
import { parseArgs } from 'node:util';
import { loadCatalog, loadInteractions, sequencesOf } from '../src/engine/snapshot.ts';
import { attributeVectors, buildAttrGraph, buildAttrNextGraph } from '../src/model/attr.ts';
import { openStore } from '../src/store/open.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    neighbours: { type: 'string', default: '50,100,300' },
    postings: { type: 'string', default: '1000' },
  },
});
if (!values.db) throw new Error('give --db FILE (a store written by fusionrec import)');

const store = await openStore(values.db);
try {
  const catalog = await loadCatalog(store, undefined);
  // the engagement order only breaks ties: the item index stands in for it here
  const engagement = Float32Array.from(catalog.itemIds, (_, i) => -i);
  const tokens = catalog.attrTokens.reduce((s, t) => s + t.length, 0);
  const distinct = new Set(catalog.attrTokens.flat()).size;
  console.log(`${catalog.itemIds.length} items, ${tokens} tokens (${distinct} distinct)`);
  // the training events (valid and test held out), unweighted: each positive event in time order
  const sequences = sequencesOf(await loadInteractions(store, catalog.index), catalog.index, () => ({}));
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
      const t1 = cpu();
      const next = buildAttrNextGraph(catalog.attrTokens, catalog.itemScenario, sequences, engagement, {
        neighbours,
        postings,
      });
      console.log(
        `transition graph: neighbours ${neighbours}, postings ${postings}: ${(cpu() - t1).toFixed(2)} s CPU, ${next?.items.length ?? 0} edges`,
      );
    }
  const t0 = cpu();
  const v = attributeVectors(catalog.attrTokens, catalog.itemScenario);
  console.log(`hashed vectors (${v?.dim ?? 0} slots): ${(cpu() - t0).toFixed(2)} s CPU`);
} finally {
  await store.close();
}
