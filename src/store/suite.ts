/**
 * What the contract suites share: each backend's test file calls a suite with a factory for a
 * fresh, empty store and the cases it cannot pass, each with its reason (as Hono's
 * `router/common.case.test.ts` does). A skip naming no case fails, so skips do not outlive the gap.
 */
import { it } from 'node:test';

export interface ContractOptions {
  skip?: readonly { reason: string; tests: readonly string[] }[];
  /**
   * Runs each case on one store while the next case runs on a second store from the same
   * factory, both at once, so their operations interleave at every await. The factory hands out
   * stores of two tenants in turn: a backend whose tenants share rows fails the cases' exact
   * assertions (counts, lists, erasure).
   */
  interleave?: boolean;
}

type Body<S> = (store: S) => Promise<void>;
export type Case<S> = (name: string, body: Body<S>) => void;

/**
 * Defines the cases of one suite (call inside its `describe`): each case opens a fresh store and
 * closes it however the case ends.
 */
export function defineCases<S extends { close(): Promise<void> }>(
  open: () => Promise<S>,
  opts: ContractOptions,
  define: (test: Case<S>) => void,
): void {
  const cases: { name: string; body: Body<S>; reason: string | undefined }[] = [];
  define((name, body) => {
    cases.push({ name, body, reason: opts.skip?.find((s) => s.tests.includes(name))?.reason });
  });
  const names = new Set(cases.map((c) => c.name));
  const unknown = (opts.skip ?? []).flatMap((s) => s.tests).filter((t) => !names.has(t));
  if (unknown.length > 0) throw new Error(`skips name no case of this suite: ${unknown.join(', ')}`);
  const runnable = cases.filter((c) => c.reason === undefined);
  for (const c of cases) {
    const i = runnable.indexOf(c);
    const partner = opts.interleave && runnable.length > 1 ? runnable[(i + 1) % runnable.length] : undefined;
    it(c.name, c.reason !== undefined ? { skip: c.reason } : {}, async () => {
      const stores: S[] = [];
      try {
        stores.push(await open());
        if (!partner) return await c.body(stores[0]!);
        stores.push(await open());
        await Promise.all([c.body(stores[0]!), partner.body(stores[1]!)]);
      } finally {
        for (const s of stores) await s.close();
      }
    });
  }
}
