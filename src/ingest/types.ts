import type { Event, Item, Scenario, User } from '../core/types.ts';

/** One validated record produced by a reader; `location` (`file:line`) names its source line. */
export type ImportRecord =
  | { kind: 'scenario'; value: Scenario; location?: string }
  | { kind: 'item'; value: Item; location?: string }
  | { kind: 'user'; value: User; location?: string }
  | { kind: 'event'; value: Event; location?: string };

export type RecordKind = ImportRecord['kind'];

/** What a reader gets besides its path. */
export interface ReaderContext {
  signal?: AbortSignal;
  /** longest accepted line in bytes */
  maxLineBytes?: number;
  /** true when user ids will be pseudonymised: readers then leave out raw personal identifiers */
  pseudonymising: boolean;
  /**
   * maps a user id to what the store holds (identity unless pseudonymisation is on). The writer
   * applies it to `event.user` and `user.id`; readers use it only for user ids embedded elsewhere
   * (e.g. followable users as items in a social scenario).
   */
  pseudonymise: (userId: string) => string;
  /** bytes read so far across all of the reader's files */
  onBytes: (bytes: number) => void;
  /** adds to a named counter in the import report (placeholders created, dates clamped, ...) */
  note: (key: string, n?: number) => void;
}

/** A streaming reader of one format: an async generator of validated records, in file order. */
export interface Reader {
  /** files read, to size the progress bar and fingerprint the input for resume */
  files(path: string): Promise<string[]>;
  read(path: string, ctx: ReaderContext): AsyncGenerator<ImportRecord>;
  /**
   * Integrity checks run before anything is written, cheap next to the import: every line-based
   * file ends with a newline, and each file holds the rows the dataset declares where it declares
   * them (a count file or a readme). A file cut short fails here, and the store is left as it was.
   */
  check?(path: string, files: readonly string[]): Promise<void>;
  /**
   * Canonical formats validate the whole input before writing anything (two passes). The shared
   * datasets are fixed files read in one pass: if one fails part-way, rerunning resumes cleanly.
   */
  validateFirst: boolean;
  /** the scenarios a shared dataset registers; its item ids are only unique within them */
  scenarios?: readonly string[];
}

export interface ImportProgress {
  phase: 'validate' | 'write';
  /** 2 when the input is read twice (validated whole, then written), else 1: the whole job is `passes * totalBytes` */
  passes: 1 | 2;
  records: number;
  events: number;
  bytes: number;
  totalBytes: number;
}

export interface ImportReport {
  format: string;
  path: string;
  records: number;
  scenarios: number;
  items: number;
  users: number;
  events: { read: number; inserted: number; duplicates: number };
  /** records skipped because a checkpoint showed they were already written */
  resumedFrom: number;
  /** true when `once` found this exact input already imported, and nothing was read */
  skipped: boolean;
  /** dataset-specific counters, e.g. placeholder items created */
  notes: Record<string, number>;
  ms: number;
}
