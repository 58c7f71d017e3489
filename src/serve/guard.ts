/**
 * Who presents a request: a tenant's key, a user token, or nobody; and whether they may use the
 * route. Failed authentications count per client IP: past `server.authFailuresPerMinute` every
 * request from that IP presenting a credential gets 429 until the window ends, valid or not, so a
 * guesser learns nothing from the answers either.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { isRecError, RecError } from '../core/errors.ts';
import type { Pseudonymiser } from '../core/privacy.ts';
import { type Access, DEFAULT_TENANT, KeyChecker, presentedKey, type TenantKeys } from './auth.ts';
import type { RouteSpec } from './route.ts';
import { isToken, type TokenClaims, type TokenSigner } from './tokens.ts';

export interface Principal {
  tenant: string;
  /** what a key grants; `token` for a user token */
  level: 'none' | 'read' | 'admin' | 'token';
  token?: TokenClaims;
  /** the rate-limit bucket of a valid credential; without one a request counts for its client IP */
  bucket?: string;
}

/** Counts failed authentications per client IP (backed by the rate limiter's store). */
export interface FailureCounter {
  /** seconds until the IP may try again, when it is locked out */
  lockedFor(request: FastifyRequest): Promise<number | undefined>;
  failed(request: FastifyRequest): Promise<void>;
}

/** The tenants' keys as the config gives them: `server.tenants`, or one tenant of the top-level keys. */
export function tenantKeys(server: Config['server']): TenantKeys[] {
  if (server.tenants.length === 0) {
    return [
      {
        id: DEFAULT_TENANT,
        adminKeyHashes: server.adminKeyHashes,
        readKeyHashes: server.readKeyHashes,
        field: '',
      },
    ];
  }
  return server.tenants.map((t, i) => ({ ...t, field: `tenants[${i}].` }));
}

export class Guard {
  readonly keys: KeyChecker;
  private readonly tenantIds: Set<string>;

  /** `signer` absent: tokens are off; `failures` absent: failed authentications are not counted */
  constructor(
    server: Config['server'],
    private readonly signer?: TokenSigner,
    private readonly failures?: FailureCounter,
  ) {
    const tenants = tenantKeys(server);
    this.keys = new KeyChecker(tenants);
    this.tenantIds = new Set(tenants.map((t) => t.id));
  }

  /** The request's principal for a route of this access; throws 401/403/429 with a stable code. */
  async authenticate(request: FastifyRequest, reply: FastifyReply, access: Access): Promise<Principal> {
    const credential = presentedKey(request.headers);
    if (credential !== undefined && this.failures) {
      const wait = await this.failures.lockedFor(request);
      if (wait !== undefined) {
        void reply.header('retry-after', String(wait));
        throw new RecError('RATE_LIMITED', 'too many failed authentications from this address', {
          field: 'authorization',
        });
      }
    }
    try {
      return this.principal(access, credential);
    } catch (e) {
      if (this.failures && isRecError(e) && e.status === 401) await this.failures.failed(request);
      throw e;
    }
  }

  private principal(access: Access, credential: string | undefined): Principal {
    if (credential !== undefined && isToken(credential)) {
      if (!this.signer) {
        throw new RecError('TOKEN_INVALID', 'user tokens are off on this server', { field: 'authorization' });
      }
      const token = this.signer.verify(credential);
      if (!this.tenantIds.has(token.tenant)) {
        throw new RecError('TOKEN_INVALID', 'token names no tenant of this server', {
          field: 'authorization',
        });
      }
      return { tenant: token.tenant, level: 'token', token, bucket: `u:${token.tenant}:${token.user}` };
    }
    const who = this.keys.check(access, credential);
    return {
      tenant: who.tenant,
      level: who.level,
      // only a valid key gets a bucket of its own; an unknown one counts for its address
      ...(who.digest ? { bucket: `k:${who.digest.toString('hex')}` } : {}),
    };
  }
}

const scopeError = (message: string, field = 'authorization') =>
  new RecError('TOKEN_SCOPE', message, { field });

/** Whether a user token may use this route at all (checked before its input is read). */
export function authorizeTokenRoute(spec: RouteSpec, token: TokenClaims): void {
  const rule = spec.token;
  if (!rule) throw scopeError('a user token may not use this route; it needs a server key');
  if (
    spec.access === 'admin' &&
    (!('scope' in rule) || rule.scope !== 'events' || token.scope !== 'events')
  ) {
    throw scopeError('this token may only read');
  }
}

/**
 * Whether a user token may make this request, once its input is validated: every user it acts on
 * must be the token's (compared as stored, after pseudonymisation).
 */
export function authorizeTokenUsers(
  spec: RouteSpec,
  input: { params: unknown; query: unknown; body: unknown },
  token: TokenClaims,
  pseudonym: Pseudonymiser,
): void {
  const rule = spec.token;
  if (!rule || 'catalog' in rule) return;
  const users = rule.users(input);
  const own = pseudonym(token.user);
  if (users.length === 0) throw scopeError('this request names no user');
  for (const u of users) {
    if (typeof u !== 'string' || pseudonym(u) !== own)
      throw scopeError('this token is for another user', 'user');
  }
}
