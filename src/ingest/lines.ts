import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { RecError } from '../core/errors.ts';

export interface Line {
  text: string;
  /** 1-based line number in the file */
  lineNo: number;
  /** `file:line`, what every error about this line names */
  location: string;
}

export interface ReadLinesOptions {
  /**
   * `utf-8` (default) rejects invalid bytes with a PARSE_ERROR naming file:line; `utf-8-or-latin1`
   * decodes lines that are not valid UTF-8 as ISO-8859-1 (for legacy dataset files).
   */
  encoding?: 'utf-8' | 'utf-8-or-latin1';
  /** a longer line is refused with PAYLOAD_TOO_LARGE, so a file without newlines cannot exhaust memory */
  maxLineBytes?: number;
  /** called with the number of bytes consumed so far, every 64 KiB of lines and at each chunk's end */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
  /** how files are named in locations; default the file's base name */
  name?: string;
  /**
   * `refuse` (default): a last line without its newline is a PARSE_ERROR naming it, since a file
   * cut short mid-line would otherwise yield a shortened record that may still look valid (an
   * item id cut from `1234` to `12`). `accept` is for documents that are not line-based (JSON).
   */
  unterminatedLastLine?: 'refuse' | 'accept';
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const NL = 0x0a;
const REPORT_EVERY = 64 * 1024;
const CR = 0x0d;

/**
 * Streams a file line by line as decoded text. Memory stays bounded by the chunk size plus the
 * longest line; a trailing `\r` (CRLF files) and a UTF-8 byte order mark are removed.
 */
export async function* readLines(path: string, opts: ReadLinesOptions = {}): AsyncGenerator<Line> {
  const name = opts.name ?? basename(path);
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const latin1 = opts.encoding === 'utf-8-or-latin1' ? new TextDecoder('latin1') : undefined;
  let lineNo = 0;
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;

  const decode = (buf: Uint8Array): Line => {
    lineNo++;
    const location = `${name}:${lineNo}`;
    let end = buf.length;
    if (end > 0 && buf[end - 1] === CR) end--;
    const body = buf.subarray(0, end);
    let text: string;
    try {
      text = utf8.decode(body);
    } catch (cause) {
      if (!latin1) throw new RecError('PARSE_ERROR', 'invalid UTF-8 byte sequence', { location, cause });
      text = latin1.decode(body);
    }
    // A byte order mark is only meaningful at the start of the file; elsewhere U+FEFF is kept.
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text, lineNo, location };
  };

  const tooLong = () =>
    new RecError('PAYLOAD_TOO_LARGE', `line longer than ${maxLine} bytes`, {
      location: `${name}:${lineNo + 1}`,
    });

  let stream: ReturnType<typeof createReadStream>;
  try {
    stream = createReadStream(path, { highWaterMark: 1 << 20 });
  } catch (cause) {
    throw new RecError('NOT_FOUND', `cannot read ${path}`, { field: 'path', cause });
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) return;
      let start = 0;
      let reported = 0;
      for (;;) {
        const nl = chunk.indexOf(NL, start);
        if (nl < 0) break;
        let line: Uint8Array;
        if (pendingLen > 0) {
          if (pendingLen + nl - start > maxLine) throw tooLong();
          pending.push(chunk.subarray(start, nl));
          line = Buffer.concat(pending);
          pending = [];
          pendingLen = 0;
        } else {
          if (nl - start > maxLine) throw tooLong();
          line = chunk.subarray(start, nl);
        }
        yield decode(line);
        start = nl + 1;
        // a file of one or two 1 MiB chunks would otherwise move a progress bar in one jump
        if (start - reported >= REPORT_EVERY) {
          reported = start;
          opts.onBytes?.(bytes + start);
        }
      }
      if (start < chunk.length) {
        pendingLen += chunk.length - start;
        if (pendingLen > maxLine) throw tooLong();
        pending.push(chunk.subarray(start));
      }
      bytes += chunk.length;
      opts.onBytes?.(bytes);
    }
  } catch (cause) {
    if (cause instanceof RecError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES')
      throw new RecError('NOT_FOUND', `cannot read ${path} (${code})`, { field: 'path', cause });
    throw cause;
  } finally {
    stream.destroy();
  }
  if (pendingLen > 0) {
    if (opts.unterminatedLastLine !== 'accept')
      throw new RecError(
        'PARSE_ERROR',
        'the last line has no newline at its end, so the file looks cut short; if it is complete, end it with a newline',
        { location: `${name}:${lineNo + 1}` },
      );
    yield decode(Buffer.concat(pending));
  }
}
