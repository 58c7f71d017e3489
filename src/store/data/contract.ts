/**
 * The contract every data store passes: `dataStoreContract(name, open)` from the backend's own test
 * file, where `open` returns a fresh, empty store. The cases live in `cases/`, one file per piece
 * of the store.
 */
import { describe } from 'node:test';
import { type ContractOptions, defineCases } from '../suite.ts';
import { eventCases } from './cases/events.ts';
import { impressionCases } from './cases/impressions.ts';
import { itemCases } from './cases/items.ts';
import { privacyCases } from './cases/privacy.ts';
import { storeCases } from './cases/store.ts';
import { userCases } from './cases/users.ts';
import type { DataStore } from './types.ts';

export function dataStoreContract(
  name: string,
  open: () => Promise<DataStore>,
  opts: ContractOptions = {},
): void {
  describe(`DataStore contract: ${name}`, () => {
    defineCases(open, opts, (test) => {
      itemCases(test);
      userCases(test);
      eventCases(test);
      storeCases(test);
      impressionCases(test);
      privacyCases(test);
    });
  });
}
