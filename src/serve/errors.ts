import { type ErrorCode, isRecError, RecError } from '../core/errors.ts';
import { MAX_ID_LENGTH } from '../core/types.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; location?: string };
}

/** Fastify's own client errors (bad JSON, body too large, bad content type) in our catalogue. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; field: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', field: 'body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'PARSE_ERROR', field: 'body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'PARSE_ERROR', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'INVALID_INPUT', field: 'content-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INVALID_INPUT', field: 'content-length' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'INVALID_INPUT', field: 'content-type' },
  // fastify's own messages for these repeat the whole URL, however long: not echoed back
  FST_ERR_BAD_URL: {
    code: 'INVALID_INPUT',
    field: 'path',
    message: 'the path is not valid percent-encoding',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'INVALID_INPUT',
    field: 'path',
    message: `a path parameter is too long (ids are at most ${MAX_ID_LENGTH} characters)`,
  },
};

/**
 * The only place errors become HTTP responses. A RecError carries its status; a framework client
 * error is translated; anything else is a 500 with a generic message (the stack is logged, never sent).
 */
export function toErrorResponse(e: unknown): {
  status: number;
  body: ErrorBody;
  internal: boolean;
  /** `Retry-After` (seconds) of an UNAVAILABLE error: when a dependency may be back */
  retryAfter?: number;
} {
  let err: RecError;
  let internal = false;
  if (isRecError(e)) err = e;
  else {
    const fe = e as { code?: string; statusCode?: number; message?: string };
    const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
    if (known) err = new RecError(known.code, known.message ?? fe.message, { field: known.field });
    else if (fe?.statusCode === 429) err = new RecError('RATE_LIMITED');
    else if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      err = new RecError('INVALID_INPUT', fe.message, { field: 'request' });
      return { status: fe.statusCode, body: { error: err.toJSON() }, internal };
    } else {
      err = new RecError('INTERNAL');
      internal = true;
    }
  }
  const retryAfter = err.code === 'UNAVAILABLE' ? Number(err.details?.retryAfterSeconds ?? 5) : undefined;
  return {
    status: err.status,
    body: { error: err.toJSON() },
    internal,
    ...(retryAfter ? { retryAfter } : {}),
  };
}
