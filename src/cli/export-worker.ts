/**
 * A worker thread of `fusionrec export-recs`: opens its own engine on the store (it only reads),
 * then answers each batch of users with their lines (export-line.ts) until told to close.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isRecError } from '../core/errors.ts';
import { createEngine } from '../engine/create.ts';
import { type ExportJob, exportLine, type WorkerReply } from './export-line.ts';

const job = (workerData as { job: ExportJob }).job;
const port = parentPort!;
const engine = await createEngine(job.config, { onWarning: () => {} });
port.on('message', async (m: { users?: { id: string; engineUser: string }[]; close?: boolean }) => {
  if (m.close) {
    await engine.close();
    port.close();
    return;
  }
  let reply: WorkerReply;
  try {
    const lines: string[] = [];
    for (const u of m.users ?? []) lines.push(await exportLine(engine, job, u));
    reply = { lines };
  } catch (e) {
    reply = {
      error: isRecError(e)
        ? { code: e.code, message: e.message }
        : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) },
    };
  }
  port.postMessage(reply);
});
port.postMessage({ type: 'ready' });
