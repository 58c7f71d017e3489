// Entry of every worker thread that runs TypeScript: a worker does not inherit the TypeScript loader
// of the thread that starts it, so it registers tsx itself and then
// imports the module named in workerData.module (see ts-worker.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
