/**
 * The last step of the user side, shared by both history encoders (./forward.ts) and their
 * training (./net.ts, ./sas-net.ts): the user state in a scenario from the encoder's output, with
 * the optional PEPNet-style gate, and its gradient.
 */
import type { SeqParams, SeqWeights } from './params.ts';

/**
 * The user state in scenario s from v (Wo u, or Wo o_t for sasrec): z = v * query_s * gate_s(v).
 * With the PEPNet-style gate (`shape.gate`), gate_s(v) = 2 sigmoid(G_s v + b_s): a factor in (0, 2)
 * per dimension, conditioned on the scenario and on the user, that starts at 1 (G and b start at
 * 0). Without the gate the factor is 1. `g` receives the factor.
 */
export function scenarioState(
  w: SeqWeights,
  v: Float64Array,
  scenario: number,
  z: Float64Array | Float32Array,
  g: Float64Array,
): void {
  const d = w.shape.dim;
  const P = w.params;
  const q = scenario * d;
  if (!w.shape.gate) {
    for (let r = 0; r < d; r++) z[r] = v[r]! * P.query[q + r]!;
    g.fill(1, 0, d);
    return;
  }
  const G = P.gate;
  const at = scenario * d * d;
  for (let r = 0; r < d; r++) {
    let a = P.gateBias[q + r]!;
    for (let k = 0; k < d; k++) a += G[at + r * d + k]! * v[k]!;
    const gr = 2 / (1 + Math.exp(-a));
    g[r] = gr;
    z[r] = v[r]! * P.query[q + r]! * gr;
  }
}

/**
 * The gradient of scenarioState: dz (d values) into grads.query (and the gate's G and b), and dv,
 * the gradient of v through z, the gate's path included. `g` is the factor the forward pass gave.
 */
export function scenarioStateBackward(
  w: SeqWeights,
  grads: SeqParams,
  v: Float64Array,
  scenario: number,
  g: Float64Array,
  dz: Float64Array,
  dv: Float64Array,
): void {
  const d = w.shape.dim;
  const P = w.params;
  const q = scenario * d;
  if (!w.shape.gate) {
    for (let r = 0; r < d; r++) {
      grads.query[q + r]! += dz[r]! * v[r]!;
      dv[r] = dz[r]! * P.query[q + r]!;
    }
    return;
  }
  const at = scenario * d * d;
  const G = P.gate;
  for (let r = 0; r < d; r++) {
    const gr = g[r]!;
    grads.query[q + r]! += dz[r]! * v[r]! * gr;
    dv[r] = dz[r]! * P.query[q + r]! * gr;
  }
  for (let r = 0; r < d; r++) {
    const gr = g[r]!;
    // d(2 sigmoid(a))/da = g (1 - g / 2)
    const da = dz[r]! * v[r]! * P.query[q + r]! * gr * (1 - gr / 2);
    if (da === 0) continue;
    grads.gateBias[q + r]! += da;
    for (let k = 0; k < d; k++) {
      grads.gate[at + r * d + k]! += da * v[k]!;
      dv[k]! += da * G[at + r * d + k]!;
    }
  }
}
