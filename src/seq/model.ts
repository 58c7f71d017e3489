/**
 * The sequential interest model (UniSRec/SASRec-style, small enough for hand-written gradients):
 *
 *   item    e_i = Wt . w(x_i) + [warm_i] E_i          w = fixed PCA whitening of the text vector
 *           h_i = e_i * scale_s(i) + shift_s(i)      STAR-style: shared e, per-scenario factor + bias
 *   history x_t = h_(i_t) + pos_p                     p = steps back from the most recent item
 *           a_t = sum_k attn_k last_k x_t,k / sqrt(d) + posBias_p      (last = x of the newest item)
 *           u   = sum_t softmax(a)_t x_t
 *   user    z_s = (Wo u) * query_s [* gate_s]         s = the target scenario
 *           gate_s = 2 sigmoid(G_s (Wo u) + b_s)      PEPNet-style, with `seq.gate` (else 1)
 *   score   z_s . h_j + [warm_j] bias_j
 *
 * A cold item (no training events) has no id embedding and no bias: it is scored from its text
 * alone. Datasets without text (textDim 0) use ids only. All state is Float32Array; the forward
 * caches of one batch are Float64Array so the gradient check is exact enough.
 *
 * With `seq.arch: "sasrec"` the history is read by causal self-attention blocks instead of the
 * pooling (./sasrec.ts, trained by ./sas-net.ts); the item side, the user state z_s and the score
 * stay as above.
 *
 * The parts: ./params.ts (shape, parameters, fixed inputs, initial values), ./forward.ts (the
 * forward pass above, the one training and scoring both run), ./scenario-state.ts (z_s and its
 * gate, with their gradient), ./net.ts (training: a batch's loss and its hand-written gradient),
 * ./scorer.ts (a trained model's scores).
 */

export { type Example, SeqNet } from './net.ts';
export {
  gaussian,
  initParams,
  PARAM_NAMES,
  type SeqParams,
  type SeqShape,
} from './params.ts';
export { SeqScorer } from './scorer.ts';
