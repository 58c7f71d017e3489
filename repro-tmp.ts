import { fuzzApi } from './tests/fuzz/api-fuzz.ts';
import { startFuzzTarget, FUZZ_KEYS } from './tests/fuzz/fuzz-target.ts';
const f = await startFuzzTarget();
const log: string[] = [];
let found = false;
const target = {
  ...f.target,
  async inject(o: any) {
    const r = await f.target.inject(o);
    if (found) return r;
    if (o.method !== 'GET' && r.statusCode < 300 && String(o.payload ?? '').includes('u011')) log.push(`${o.method} ${o.url} ${String(o.payload).slice(0, 600)}`);
    if (o.method !== 'GET' && r.statusCode < 300 && o.url.includes('u011')) log.push(`${o.method} ${o.url}`);
    if (o.url === '/v1/users/u011/profile' && r.body.includes('"weight":null')) { found = true; console.log(log.join('\n')); console.log('PROFILE', r.body.slice(0, 1500)); }
    return r;
  },
};
await fuzzApi(target, f.doc, { runs: 10000, seed: 20261203, known: f.known, keys: FUZZ_KEYS });
await f.server.close();
