/** The sequential model's options from the `seq` config section. */
import type { SeqConfig } from '../config/seq.ts';
import type { SeqOptions } from './types.ts';

/** `threads` comes from `train.threads`: one knob for every stage of `fusionrec train` */
export function seqOptionsOf(c: SeqConfig, seed: number, threads: number): SeqOptions {
  const { enabled: _enabled, stopOn: _stopOn, metadata: _metadata, ...rest } = c;
  return { ...rest, seed, threads };
}
