import { RecError } from '../core/errors.ts';
import type { PageOptions } from './data/types.ts';

/**
 * Keyset paging shared by every backend's `pages()`: reads the page after the last row's key until
 * a page comes back shorter than `limit`, so no caller keeps a cursor by hand. A page is read only
 * when the consumer asks for it, so breaking out of `for await` stops the reads.
 */
export async function* keysetPages<T, K>(
  opts: PageOptions,
  read: (after: K | undefined, limit: number) => Promise<T[]>,
  keyOf: (row: T) => K,
): AsyncGenerator<T[], void, undefined> {
  if (!Number.isInteger(opts.limit) || opts.limit < 1)
    throw new RecError('INVALID_INPUT', `page limit must be a positive integer, got ${opts.limit}`, {
      field: 'limit',
    });
  let after: K | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    const page = await read(after, opts.limit);
    if (page.length > 0) yield page;
    if (page.length < opts.limit) return;
    after = keyOf(page[page.length - 1]!);
  }
}
