/** Candidate generation: each retriever proposes items of the request's scenario, best first. */
import type { AlsModel } from '../model/als.ts';
import type { UserProfile } from '../profile/types.ts';

/**
 * What a retriever reads of a request: its scenario, the user's profile and the signals spread
 * from the user's history over the items (the ranker's query object carries these among others).
 */
export interface RetrievalSignals {
  readonly scenarioCode: number;
  readonly profile: UserProfile;
  /** the catalog's scenario code of every item, each scenario's items, the latent item factors */
  readonly model: {
    readonly scenarioCode: Uint16Array;
    readonly scenarioItems: readonly Int32Array[];
    readonly graphs: { readonly als?: AlsModel | undefined; readonly alsFused?: AlsModel | undefined };
    /** popularity among the users arriving from another scenario (the `popularityCross` feature) */
    readonly popularityCross?: Float32Array | undefined;
  };
  /** collaborative evidence per item: co-consumed in the same scenario, in others, consumed next */
  readonly knnSame: Float32Array;
  readonly knnCross: Float32Array;
  readonly trans: Float32Array;
  /** items with any collaborative evidence */
  readonly touched: Int32Array;
  /** the latent models' user vectors, as the `als` and `alsFused` features read them */
  readonly alsUser: Float32Array | undefined;
  readonly alsFusedUser: Float32Array | undefined;
  /** entries of the target scenario in the history (0: a user new to the scenario) */
  readonly ownCount: number;
  /** whether the history holds an entry outside the target scenario */
  readonly other: boolean;
  /** the target scenario's items scored by the users most like this one in the other scenarios */
  readonly usersCross: ReadonlyMap<number, number>;
  /** the profile's interest centres and its recent-items vector, as language-model vectors */
  readonly interestVecs: readonly Float32Array[];
  readonly recentVec: Float32Array | undefined;
}

export interface RetrieveRequest {
  signals: RetrievalSignals;
  k: number;
  /** items that may not be proposed (consumed, excluded, unavailable) */
  skip: (item: number) => boolean;
}

export interface Retriever {
  readonly name: string;
  retrieve(req: RetrieveRequest): number[];
}
