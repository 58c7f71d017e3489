import type { Command } from 'commander';
import type { Interest } from '../../engine/types.ts';
import { openRuntime, runtimeConfig } from '../../serve/runtime.ts';

function mix(m: Record<string, number>): string {
  return Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([s, v]) => `${s} ${(v * 100).toFixed(0)}%`)
    .join(', ');
}

function formatInterests(list: readonly Interest[], indent = '  '): string {
  if (list.length === 0) return `${indent}(none)`;
  return list
    .map(
      (i, k) =>
        `${indent}${k + 1}. ${i.label}  weight ${i.weight.toFixed(3)}  [${mix(i.scenarioMix)}]` +
        (i.summary ? `\n${indent}   ${i.summary}` : '') +
        (i.topItems.length ? `\n${indent}   items: ${i.topItems.slice(0, 5).join(', ')}` : ''),
    )
    .join('\n');
}

export function registerProfile(program: Command): void {
  program
    .command('profile <user>')
    .description("a user's interests, fused across scenarios and per scenario")
    .option('--db <file>', 'database (overrides store.url)')
    .option('--json', 'print the profile as JSON')
    .action(async (user: string, opts: { db?: string; json?: boolean }, cmd: Command) => {
      const rt = await openRuntime(runtimeConfig(cmd.optsWithGlobals().config, { db: opts.db }));
      try {
        const p = await rt.engine.profile(rt.pseudonym(user));
        if (opts.json) {
          console.log(JSON.stringify(p, null, 2));
          return;
        }
        console.log(`${user}: ${p.events} events, updated ${new Date(p.updatedAt).toISOString()}`);
        console.log('Fused interests (all scenarios):');
        console.log(formatInterests(p.fused));
        for (const [s, list] of Object.entries(p.perScenario)) {
          console.log(`In ${s}:`);
          console.log(formatInterests(list, '    '));
        }
      } finally {
        await rt.close();
      }
    });
}
