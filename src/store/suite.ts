/**
 * What the contract suites share: each backend's test file calls a suite with a factory for a
 * fresh, empty store and the cases it cannot pass, each with its reason (as Hono's
 * `router/common.case.test.ts` does). A skip naming no case fails, so skips do not outlive the gap.
 */
import { it } from 'node:test';

export interface ContractOptions {
  skip?: readonly { reason: string; tests: readonly string[] }[];
}

type Case<S> = (name: string, body: (store: S) => Promise<void>) => void;

/**
 * Defines the cases of one suite (call inside its `describe`): each case opens a fresh store and
 * closes it however the case ends.
 */
export function defineCases<S extends { close(): Promise<void> }>(
  open: () => Promise<S>,
  opts: ContractOptions,
  define: (test: Case<S>) => void,
): void {
  const names = new Set<string>();
  define((name, body) => {
    names.add(name);
    const reason = opts.skip?.find((s) => s.tests.includes(name))?.reason;
    it(name, reason !== undefined ? { skip: reason } : {}, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  });
  const unknown = (opts.skip ?? []).flatMap((s) => s.tests).filter((t) => !names.has(t));
  if (unknown.length > 0) throw new Error(`skips name no case of this suite: ${unknown.join(', ')}`);
}
