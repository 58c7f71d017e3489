#!/usr/bin/env node
// Runs the compiled CLI (dist/, made by `npm run build`; npm builds it on install from git).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('error: fusionrec is not built (no dist/): run `npm run build` in its folder');
  process.exit(2);
}
await (await import(main.href)).main(process.argv);
