/**
 * User tokens: what a browser holds instead of a read key. A token names one user of one tenant,
 * what it may do (`read`: recommend, explain, profile, history, map of that user, and the catalog;
 * `events`: also record that user's events) and when it expires, signed with HMAC-SHA256 under the
 * server's `server.tokenSecret`:
 *
 *   fr1.<base64url(JSON {u, t, s, exp})>.<base64url(HMAC-SHA256(secret, "fr1.<claims>"))>
 *
 * Servers mint them with a key (`POST /v1/tokens`); the server keeps no token state, so a token
 * lives until `exp` (short by default). The MAC is compared with `timingSafeEqual`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RecError } from '../core/errors.ts';

const TOKEN_PREFIX = 'fr1.';

export type TokenScope = 'read' | 'events';

export interface TokenClaims {
  /** the user, as the minting server named them (before pseudonymisation) */
  user: string;
  tenant: string;
  scope: TokenScope;
  /** expiry, seconds since the epoch */
  exp: number;
}

export function isToken(credential: string): boolean {
  return credential.startsWith(TOKEN_PREFIX);
}

const invalid = (message: string) => new RecError('TOKEN_INVALID', message, { field: 'authorization' });

export class TokenSigner {
  private readonly secret: string;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) {
      throw new RecError('INVALID_CONFIG', 'a token secret needs at least 32 characters', {
        field: 'server.tokenSecret',
      });
    }
    this.secret = secret;
  }

  private mac(signed: string): Buffer {
    return createHmac('sha256', this.secret).update(signed, 'utf8').digest();
  }

  mint(claims: Omit<TokenClaims, 'exp'>, ttlSeconds: number): { token: string; expiresAt: number } {
    const exp = Math.floor(this.now() / 1000) + ttlSeconds;
    const body = { u: claims.user, t: claims.tenant, s: claims.scope, exp };
    const signed = TOKEN_PREFIX + Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    return { token: `${signed}.${this.mac(signed).toString('base64url')}`, expiresAt: exp };
  }

  /** The token's claims; TOKEN_INVALID for a malformed or forged token, TOKEN_EXPIRED past `exp`. */
  verify(token: string): TokenClaims {
    const dot = token.lastIndexOf('.');
    if (!isToken(token) || dot <= TOKEN_PREFIX.length) throw invalid('malformed token');
    const signed = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(signed);
    // the MAC's length is public (32 bytes), so checking it first leaks nothing
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid('token signature does not match');
    }
    let body: { u?: unknown; t?: unknown; s?: unknown; exp?: unknown };
    try {
      body = JSON.parse(Buffer.from(signed.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    } catch {
      throw invalid('malformed token claims');
    }
    const { u, t, s, exp } = body;
    if (
      typeof u !== 'string' ||
      typeof t !== 'string' ||
      (s !== 'read' && s !== 'events') ||
      typeof exp !== 'number'
    ) {
      throw invalid('malformed token claims');
    }
    if (exp * 1000 <= this.now()) {
      throw new RecError('TOKEN_EXPIRED', 'token expired; mint a new one', { field: 'authorization' });
    }
    return { user: u, tenant: t, scope: s, exp };
  }
}
