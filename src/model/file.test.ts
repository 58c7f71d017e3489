import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { stampOf } from './file.ts';

test('model stamp: one fit bag is the fit before bagging (stamps stay), more bags are another model', () => {
  const cfg = parseConfig({}).train;
  const { fitBags, ...before } = cfg;
  assert.equal(fitBags, 1);
  const stamp = stampOf('d', cfg).stamp;
  assert.equal(
    stampOf('d', { ...cfg, threads: 1, keepVersions: 9 }).stamp,
    stamp,
    'settings that do not shape the model',
  );
  assert.equal(stampOf('d', before as typeof cfg).stamp, stamp, 'a config written before fitBags existed');
  assert.notEqual(stampOf('d', { ...cfg, fitBags: 8 }).stamp, stamp);
});
