/** Event weights: a client's event type is looked up as a key of its own, never of Object.prototype. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventWeight } from './weights.ts';

describe('eventWeight', () => {
  test('built-in types, scenario overrides and unknown types', () => {
    assert.equal(eventWeight({ type: 'purchase' }), 3);
    assert.equal(eventWeight({ type: 'purchase' }, { purchase: 5 }), 5);
    assert.equal(eventWeight({ type: 'follow' }), 1);
  });

  test('a type named like a property every object inherits is an unknown type, weight 1', () => {
    // `constructor` matches the event type pattern; it once read Object.prototype.constructor (NaN weights)
    for (const type of ['constructor', 'hasownproperty', 'tostring', 'valueof']) {
      assert.equal(eventWeight({ type }), 1, type);
      assert.equal(eventWeight({ type, value: 4, text: 'great' }, { view: 2 }), 2, type);
    }
    assert.equal(eventWeight({ type: 'constructor' }, { constructor: 4 }), 4);
  });
});
