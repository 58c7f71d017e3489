/** A text encoder: a pretrained language model behind a three-member contract. */
export interface Encoder {
  /** stable id, part of every cache key: provider, model and version */
  readonly id: string;
  readonly dim: number;
  /** one L2-normalised vector per text, in order */
  encode(texts: readonly string[]): Promise<Float32Array[]>;
  /** releases native memory, worker threads, sockets */
  close(): Promise<void>;
}
