/** A user's profile as the engine holds it: the weighted history plus interest centres. */

/** One interaction, with items addressed by the engine's dense item index. */
export interface HistoryEntry {
  item: number;
  scenario: string;
  /** signed interest weight of the event (see weights.ts); negative pushes away */
  weight: number;
  ts: number;
}

export interface InterestCentre {
  id: string;
  /** L2-normalised centre in item-vector space (empty when the catalog has no vectors) */
  vector: Float32Array;
  /** share of the user's positive mass, sums to 1 over a profile's interests */
  weight: number;
  scenarioMix: Record<string, number>;
  lastTs: number;
  /** member items, most representative first */
  members: number[];
  label: string;
}

export interface UserProfile {
  user: string;
  /** chronological (ts, then arrival order) */
  history: HistoryEntry[];
  /** fused across scenarios */
  interests: InterestCentre[];
  perScenario: Record<string, InterestCentre[]>;
  updatedAt: number;
}

/** What profile building needs to know about items. */
export interface ItemSpace {
  readonly dim: number;
  /** L2-normalised vector of an item, or undefined when it has none */
  vector(item: number): Float32Array | undefined;
  title(item: number): string;
  /** the catalog's label terms and their frequencies (label.ts); absent: labels from titles alone */
  readonly labels?: { label(members: readonly number[]): string } | undefined;
}
