/** One user's line of a batch export, made the same way in a worker thread or in the command's own. */
import type { Config } from '../config/schema.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Context } from '../core/types.ts';
import type { Engine } from '../engine/types.ts';

/** what every worker is started with */
export interface ExportJob {
  config: Config;
  scenario: string;
  n: number;
  reasons: boolean;
  /** the request context of every line (device, hour, weekday); absent: the time of each request */
  context?: Context;
}

export type WorkerReply =
  | { lines: string[]; error?: undefined }
  | { lines?: undefined; error: { code: ErrorCode; message: string } };

/**
 * The user's answer from `engine.recommend` as one JSON line: the user as listed, the scenario, the
 * model version and the items with their scores (and whole reasons when asked, else the retriever).
 */
export async function exportLine(
  engine: Engine,
  job: ExportJob,
  u: { id: string; engineUser: string },
): Promise<string> {
  const res = await engine.recommend({
    user: u.engineUser,
    scenario: job.scenario,
    n: job.n,
    ...(job.context ? { context: job.context } : {}),
  });
  return JSON.stringify({
    user: u.id,
    scenario: res.scenario,
    modelVersion: res.modelVersion,
    items: res.items.map((r) =>
      job.reasons ? r : { item: r.item, title: r.title, score: r.score, retriever: r.reasons.retriever },
    ),
  });
}
