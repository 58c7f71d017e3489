import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { eventSchema, MAX_ID_LENGTH, SPLITS } from '../../core/types.ts';
import { fastValidEvent } from './check.ts';
import { splitScientificText } from './scientific.ts';

/** mostly valid values, sometimes a wrong one, so both paths of the check are exercised */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: bad });

const idLike = mostly(
  fc.stringMatching(/^[a-z]{1,4}:\d{1,6}$/),
  fc.oneof(
    fc.string({ maxLength: 6, unit: 'binary' }),
    fc.constantFrom('', ' x', 'x ', 'a\u0000b', '\ud800', 'z'.repeat(MAX_ID_LENGTH + 1), 7),
  ),
);

const eventLike = fc
  .tuple(
    fc.record(
      {
        id: idLike,
        user: idLike,
        item: idLike,
        scenario: idLike,
        type: mostly(fc.constantFrom('purchase', 'play', 'tag', 'follow'), fc.string({ maxLength: 5 })),
        value: mostly(fc.integer(), fc.oneof(fc.double(), fc.string({ maxLength: 2 }))),
        text: mostly(
          fc.string({ maxLength: 8 }),
          fc.oneof(fc.string({ maxLength: 8, unit: 'binary' }), fc.constant('\udfff')),
        ),
        ts: mostly(
          fc.integer({ min: 0, max: Date.now() }),
          fc.oneof(fc.integer({ min: -1000, max: 8.64e15 }), fc.double(), fc.string({ maxLength: 3 })),
        ),
        split: mostly(fc.constantFrom(...SPLITS), fc.string({ maxLength: 5 })),
        context: fc.constant({ device: 'x' }),
        extra: fc.constant(1),
      },
      { requiredKeys: [] },
    ),
    fc.nat(9),
    fc.nat(9),
  )
  .map(([e, keepContext, keepExtra]) => {
    // the required fields are present most of the time; context and unknown keys rarely
    const o: Record<string, unknown> = { ...e };
    if (keepContext > 0) delete o.context;
    if (keepExtra > 0) delete o.extra;
    return o;
  });

describe('fastValidEvent', () => {
  it('accepts only events the zod schema accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(eventLike, (e) => {
        if (!fastValidEvent(e)) return;
        accepted++;
        assert.ok(eventSchema.safeParse(e).success, JSON.stringify(e));
      }),
      { numRuns: 3000, seed: 11 },
    );
    assert.ok(accepted > 30, `only ${accepted} generated events took the fast path`);
  });

  it('accepts the events the dataset readers build', () => {
    const e = {
      id: 'fk:A:1:0',
      user: 'food:1',
      item: '0',
      scenario: 'food',
      type: 'purchase',
      ts: 946684800000,
    };
    assert.equal(fastValidEvent(e), true);
    assert.equal(fastValidEvent({ ...e, split: 'valid_input', value: 3, text: 'rock français' }), true);
    assert.equal(fastValidEvent({ ...e, user: 'x'.repeat(MAX_ID_LENGTH + 1) }), false);
    assert.equal(fastValidEvent({ ...e, ts: -1 }), false);
  });
});

describe('splitScientificText', () => {
  it('separates title, category and brand of UniSRec text', () => {
    assert.deepEqual(
      splitScientificText(
        'Gorilla Original Gorilla Glue, Waterproof Polyurethane Glue, 8 ounce Bottle, Brown. Industrial & Scientific Tapes, Adhesives & Sealants Urethane Adhesives. Gorilla. ',
      ),
      {
        title: 'Gorilla Original Gorilla Glue, Waterproof Polyurethane Glue, 8 ounce Bottle, Brown',
        category: ['Industrial & Scientific', 'Tapes, Adhesives & Sealants Urethane Adhesives'],
        brand: 'Gorilla',
      },
    );
    assert.deepEqual(splitScientificText('Just a title. '), { title: 'Just a title' });
  });
});
