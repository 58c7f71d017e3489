import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAttrGraph } from '../model/attr.ts';
import { latentOf } from '../model/graph.ts';
import { occurrences, type SideInit, sideGraphs } from './train-graphs.ts';

// two scenarios; items 0-3 share a brand, 4-5 a tag, 6 shares nothing
const tokens = [
  ['attr:brand=x', 'cat:a'],
  ['attr:brand=x', 'cat:a'],
  ['attr:brand=x'],
  ['attr:brand=x', 'cat:a', 'tag:t'],
  ['tag:u'],
  ['tag:u'],
  ['tag:lonely'],
];
const scenario = ['s', 's', 's', 's', 'k', 'k', 'k'];
const fitSeqs = [
  [0, 1, 1],
  [3, 4],
  [5, 2, 2],
];
const allSeqs = [
  [0, 1, 1],
  [3, 4, 3, 3],
  [5, 2, 2, 2],
];
const opts = { neighbours: 300, postings: 1000 };
const latent = { als: { factors: 2, reg: 0.1, alpha: 1, iters: 2 }, crossScenario: true };

describe('graph stage: the graphs that need no tuned setting', () => {
  it('counts each occurrence of an item in the sequences', () => {
    assert.deepEqual(Array.from(occurrences(fitSeqs, tokens.length)), [1, 2, 2, 1, 1, 1, 0]);
  });

  it('per graph set: its attribute graph, ties broken by its own counts, and its factorisations', () => {
    const init: SideInit = {
      numItems: tokens.length,
      scenario,
      sequences: [fitSeqs, allSeqs],
      attr: { tokens, opts },
      latent,
    };
    const [fit, final] = sideGraphs(init);
    const attrOf = (seqs: number[][]) =>
      buildAttrGraph(tokens, scenario, occurrences(seqs, tokens.length), opts);
    assert.deepEqual(fit!.attr, attrOf(fitSeqs));
    assert.deepEqual(final!.attr, attrOf(allSeqs));
    assert.notDeepEqual(fit!.attr, final!.attr, 'the counts break the ties: the two orders differ');
    const latentOfSeqs = (seqs: number[][]) => latentOf(seqs, tokens.length, (i) => scenario[i]!, latent);
    assert.deepEqual({ als: fit!.als, alsFused: fit!.alsFused }, latentOfSeqs(fitSeqs));
    assert.deepEqual({ als: final!.als, alsFused: final!.alsFused }, latentOfSeqs(allSeqs));
    assert.ok(fit!.alsFused, 'two scenarios: the fused factorisation too');
    const none = sideGraphs({ numItems: tokens.length, scenario, sequences: [fitSeqs] });
    assert.deepEqual(none, [{}]);
  });
});
