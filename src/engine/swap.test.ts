import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../store/types.ts';
import { FusionEngine } from './engine.ts';
import { ROUTES, type SwapOptions, SwappableEngine } from './swap.ts';

/** a generation's engine that records every call and answers with the method's name */
function recorder() {
  const calls: { name: string; args: unknown[] }[] = [];
  const engine = new Proxy(
    {},
    {
      get: (_t, name) => {
        if (typeof name !== 'string' || name === 'then') return undefined;
        return (...args: unknown[]) => {
          calls.push({ name, args });
          return ROUTES[name as keyof typeof ROUTES] === 'now'
            ? { from: name }
            : Promise.resolve({ from: name });
        };
      },
    },
  ) as FusionEngine;
  return { engine, calls };
}

function swappable(engine: FusionEngine): SwappableEngine {
  // no timers, no builds: only forwarding is exercised
  const options: SwapOptions = {
    first: { engine, version: 'v1', seen: 'v1', lastSeq: 0 },
    build: () => Promise.reject(new Error('no build in this test')),
    store: {} as Store,
    pollSeconds: 0,
    snapshotSeconds: 0,
    snapshotEvents: 0,
    warn: () => {},
    close: async () => {},
  };
  return new SwappableEngine(options);
}

test('every forwarded engine method reaches the serving generation with its arguments and answer', async () => {
  const { engine, calls } = recorder();
  const s = swappable(engine);
  const forwarded = Object.entries(ROUTES).filter(([, route]) => route !== 'own');
  assert.ok(forwarded.length >= 10);
  for (const [name, route] of forwarded) {
    const args = [`${name}-a`, { n: 1 }];
    const method = (s as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    assert.equal(typeof method, 'function', name);
    const out = method!.apply(s, args);
    const got = route === 'now' ? out : await out;
    assert.deepEqual(got, { from: name }, name);
    assert.deepEqual(calls.at(-1), { name, args }, name);
  }
  assert.equal(calls.length, forwarded.length);
});

test('the methods the swapping engine writes out itself exist on it', () => {
  const s = swappable(recorder().engine);
  for (const [name, route] of Object.entries(ROUTES)) {
    if (route !== 'own') continue;
    assert.equal(typeof (s as unknown as Record<string, unknown>)[name], 'function', name);
  }
});

test('the serving engine has every method the swapping engine forwards to it', () => {
  for (const [name, route] of Object.entries(ROUTES)) {
    if (route === 'own') continue;
    assert.equal(
      typeof (FusionEngine.prototype as unknown as Record<string, unknown>)[name],
      'function',
      name,
    );
  }
});
