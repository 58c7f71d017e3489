// Worker-thread entry of the sequential model's data-parallel training (src/seq/parallel.ts).
// Plain JavaScript on purpose: a worker does not inherit the TypeScript loader of the thread that
// starts it, so it registers tsx itself (as bin/fusionrec.js does) and then loads the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
