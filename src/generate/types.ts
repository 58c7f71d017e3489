/** An optional generative model, used off the request path only (enrichment, interest summaries). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompleteOptions {
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

export interface Generator {
  /** provider, model and host: stamped on everything it writes */
  readonly id: string;
  /** the assistant's reply text; throws GENERATOR_UNAVAILABLE when the model cannot answer */
  complete(messages: readonly ChatMessage[], opts?: CompleteOptions): Promise<string>;
  close(): Promise<void>;
}
