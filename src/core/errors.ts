/**
 * One error catalogue for the whole engine. Every error thrown on purpose is a RecError with a
 * stable code; its HTTP status travels with it so only the server maps errors to responses.
 * Tests assert the code, never the message text.
 */
export const ERROR_CATALOGUE = {
  INVALID_INPUT: { status: 400, message: 'Invalid input' },
  INVALID_CONFIG: { status: 500, message: 'Invalid configuration' },
  PARSE_ERROR: { status: 400, message: 'Could not parse input' },
  UNKNOWN_SCENARIO: { status: 400, message: 'Unknown scenario' },
  UNKNOWN_USER: { status: 404, message: 'Unknown user' },
  UNKNOWN_ITEM: { status: 404, message: 'Unknown item' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload too large' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid API key' },
  FORBIDDEN: { status: 403, message: 'This key may not do that' },
  TOKEN_INVALID: { status: 401, message: 'Malformed or forged user token' },
  TOKEN_EXPIRED: { status: 401, message: 'User token expired' },
  TOKEN_SCOPE: { status: 403, message: 'This user token may not do that' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  MODEL_STALE: { status: 409, message: 'Model was trained on other data or config' },
  MODEL_MISSING: { status: 503, message: 'Model not trained yet' },
  ENCODER_UNAVAILABLE: { status: 503, message: 'Encoder unavailable' },
  GENERATOR_UNAVAILABLE: { status: 503, message: 'Generative model unavailable' },
  STORE_ERROR: { status: 500, message: 'Storage error' },
  INTERRUPTED: { status: 503, message: 'Interrupted' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface RecErrorOptions {
  /** dotted path of the offending field, e.g. `context.device` or `events[3].ts` */
  field?: string;
  /** `file:line` of the offending record when it came from a file */
  location?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class RecError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly location: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: RecErrorOptions = {}) {
    const base = message ?? ERROR_CATALOGUE[code].message;
    const where = [options.location, options.field ? `field "${options.field}"` : undefined]
      .filter(Boolean)
      .join(' ');
    super(
      where ? `${where}: ${base}` : base,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'RecError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.field = options.field;
    this.location = options.location;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; field?: string; location?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...(this.location ? { location: this.location } : {}),
    };
  }
}

export function isRecError(e: unknown): e is RecError {
  return e instanceof RecError;
}
