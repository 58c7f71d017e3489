import type { z } from 'zod';
import type { Access } from './auth.ts';
import type { ServerContext } from './context.ts';
import type { TokenScope } from './tokens.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One route, described once: the same spec registers it, validates its input, checks its access
 * and writes its part of the OpenAPI document.
 */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** fastify path syntax, e.g. `/v1/items/:id` */
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * The body's schema when the engine validates the body (the handler passes it on as it came, so
   * it is parsed once): shown in the OpenAPI document instead of `body`, not applied here.
   */
  engineBody?: z.ZodType;
  /**
   * What a user token may do here; without it the route needs a server key. `catalog`: the route
   * holds no user's data. `users`: the users the request acts on, each of which must be the
   * token's; `scope: 'events'` marks a write the token must have been minted for.
   */
  token?:
    | { catalog: true }
    | { users(input: { params: P; query: Q; body: B }): readonly unknown[]; scope?: TokenScope };
  /** HTTP status on success */
  status?: number;
  /** the JSON answered on success (src/serve/responses.ts), for the OpenAPI document */
  response?: z.ZodType;
  handler(input: { params: P; query: Q; body: B }, ctx: ServerContext, caller: Caller): Promise<unknown>;
}

/** Who makes the request, as far as a handler needs to know. */
interface Caller {
  tenant: string;
  /** whether the caller's credential grants writes (an admin key, or writes are open) */
  mayWrite: boolean;
  /** the user of the caller's user token (as minted, before pseudonymisation); absent for keys */
  tokenUser?: string;
}

/** Identity helper that lets TypeScript infer a route's input types from its schemas. */
export function route<P = undefined, Q = undefined, B = undefined>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** A handler result with a status other than the route's default. */
export class StatusReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export function respond(status: number, body: unknown): StatusReply {
  return new StatusReply(status, body);
}
