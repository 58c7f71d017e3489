/**
 * What the event schema cannot check: each event's scenario exists and its item exists in that
 * scenario. Checked against the store (the source of truth) before anything is written, so a bad
 * batch changes nothing.
 */
import { RecError } from '../core/errors.ts';
import type { Event } from '../core/types.ts';
import type { Store } from '../store/types.ts';

export class EventChecks {
  /** ids of the known scenarios; re-read when an event names one not in it */
  private known: Promise<Set<string>> | undefined;

  constructor(
    private readonly store: Store,
    /** the scenarios, as `engine.scenarios()` lists them (stored and configured) */
    private readonly scenarios: () => Promise<readonly { id: string }[]>,
  ) {}

  private async knownScenarios(refresh: boolean): Promise<Set<string>> {
    if (refresh) this.known = undefined;
    this.known ??= this.scenarios().then((list) => new Set(list.map((s) => s.id)));
    this.known.catch(() => {
      this.known = undefined;
    });
    return this.known;
  }

  /** throws the first event's fault, naming `prefix(i)` + its field */
  async check(events: readonly Event[], prefix: (i: number) => string): Promise<void> {
    let scenarios = await this.knownScenarios(false);
    // a scenario added since the set was read (possibly by another process)
    if (events.some((e) => !scenarios.has(e.scenario))) scenarios = await this.knownScenarios(true);
    const items = await this.store.items.scenariosOf([...new Set(events.map((e) => e.item))]);
    events.forEach((e, i) => {
      if (!scenarios.has(e.scenario)) {
        throw new RecError('UNKNOWN_SCENARIO', `unknown scenario "${e.scenario}"`, {
          field: `${prefix(i)}scenario`,
        });
      }
      const itemScenario = items.get(e.item);
      if (itemScenario === undefined) {
        throw new RecError('UNKNOWN_ITEM', `no item "${e.item}"`, { field: `${prefix(i)}item` });
      }
      if (itemScenario !== e.scenario) {
        throw new RecError('INVALID_INPUT', `item "${e.item}" belongs to scenario "${itemScenario}"`, {
          field: `${prefix(i)}scenario`,
        });
      }
    });
  }
}
