/** What users arriving from another scenario take up: the counts behind the `popularityCross` feature. */

/**
 * Per item, its occurrences in the histories that come after an occurrence of another scenario's
 * item: what users arriving from another scenario take up (a shop's customers opening the music
 * app play other artists than the app's own crowd). Where the order carries no time
 * (`orderFree`), every occurrence in a history that holds another scenario counts. Each
 * occurrence is counted or not by its history alone, so new events add to the counts and an
 * erased user's history takes its own share back out.
 */
export function arrivals(
  sequences: Iterable<ArrayLike<number>>,
  scenarioOf: (item: number) => number | string,
  numItems: number,
  orderFree = false,
): Float32Array {
  const out = new Float32Array(numItems);
  for (const seq of sequences)
    forEachArrival(seq, scenarioOf, orderFree, (item) => {
      out[item]! += 1;
    });
  return out;
}

/** the occurrences of one history that `arrivals` counts, in order */
export function forEachArrival(
  seq: ArrayLike<number>,
  scenarioOf: (item: number) => number | string,
  orderFree: boolean,
  visit: (item: number) => void,
): void {
  const n = seq.length;
  if (n === 0) return;
  const first = scenarioOf(seq[0]!);
  let mixed = false;
  if (orderFree) for (let k = 1; k < n && !mixed; k++) mixed = scenarioOf(seq[k]!) !== first;
  // whether a scenario other than the first one came before position k
  let seenOther = false;
  for (let k = 0; k < n; k++) {
    const item = seq[k]!;
    const c = scenarioOf(item);
    if (orderFree ? mixed : seenOther || c !== first) visit(item);
    if (c !== first) seenOther = true;
  }
}
