/**
 * One worker of the ranker fit's candidate pools (./pool-workers.ts): a copy of the scoring model,
 * rebuilt from plain data, and buildPools / refinePools / fullRankNdcg over the chunk of cases it is
 * sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ScoringModel } from '../model/scoring.ts';
import { scorerOfWeights } from '../seq/ensemble.ts';
import type { SeqParams } from '../seq/model.ts';
import { fullRankNdcg } from './fit/objective.ts';
import { buildPools, refinePools, withRanker } from './fit/pools.ts';
import type { PoolReply, PoolRequest, PoolWorkerInit } from './pool-workers.ts';

const init = workerData as PoolWorkerInit;
const port = parentPort!;
const s = init.seq;
const m: ScoringModel = {
  ...init.model,
  seq: s
    ? {
        scorer: scorerOfWeights(
          s.members.map((w) => ({
            shape: w.shape,
            params: w.params as SeqParams,
            inputs: { text: w.text, warm: w.warm, scenario: w.scenario },
          })),
        ),
        scale: s.scale,
        fused: s.fused,
      }
    : undefined,
};

port.on('message', (req: PoolRequest) => {
  try {
    // this copy of the model keeps its own ranker; the request's weights apply to this request only
    const at = withRanker(m, req.ranker);
    if (req.type === 'check') {
      const scores = fullRankNdcg(at, req.cases, req.weights);
      port.postMessage({ type: 'scores', scores } satisfies PoolReply);
      return;
    }
    const pools =
      req.type === 'build'
        ? buildPools(at, req.cases, req.per, req.decays)
        : [
            refinePools(
              at,
              req.cases,
              req.items.map((items, i) => ({ items, own: req.own[i]! })),
              req.extra,
            ),
          ];
    const reply: PoolReply = { type: 'pools', pools };
    port.postMessage(
      reply,
      pools.flatMap((list) => list.map((p) => p.feats.buffer as ArrayBuffer)),
    );
  } catch (e) {
    port.postMessage({ type: 'error', message: String((e as Error)?.stack ?? e) } satisfies PoolReply);
  }
});
port.postMessage({ type: 'ready' });
