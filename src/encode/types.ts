/** A text encoder: a pretrained language model behind a three-member contract. */
export interface Encoder {
  /** stable id, part of every cache key: provider, model and version */
  readonly id: string;
  readonly dim: number;
  /** one L2-normalised vector per text, in order */
  encode(texts: readonly string[]): Promise<Float32Array[]>;
  /**
   * Share (0..1) of a text's characters the model can read. Models with a small vocabulary (USE
   * Lite is English-only) map unknown scripts to one token; fusion then adds a character n-gram
   * channel. Absent = the model reads everything (multilingual models).
   */
  coverage?(text: string): number;
  /** releases native memory, worker threads, sockets */
  close(): Promise<void>;
}
