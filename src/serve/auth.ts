import { createHash, timingSafeEqual } from 'node:crypto';
import { RecError } from '../core/errors.ts';

/** What a route needs: nothing, a read key (GET + recommend, safe in a browser) or an admin key. */
export type Access = 'public' | 'read' | 'admin';

export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function toDigests(hashes: readonly string[], field: string): Buffer[] {
  return hashes.map((h, i) => {
    if (!/^[0-9a-f]{64}$/i.test(h)) {
      throw new RecError('INVALID_CONFIG', 'must be a SHA-256 hex digest (64 hex characters)', {
        field: `server.${field}[${i}]`,
      });
    }
    return Buffer.from(h, 'hex');
  });
}

/** Reads the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const k = headers['x-api-key'];
  return typeof k === 'string' && k.length > 0 ? k : undefined;
}

/** The keys of one tenant (its catalog, store and engine); `field` prefixes config paths in errors. */
export interface TenantKeys {
  id: string;
  adminKeyHashes: readonly string[];
  readKeyHashes: readonly string[];
  field?: string;
}

/** the tenant of a server without `server.tenants` */
export const DEFAULT_TENANT = 'default';

/**
 * Keys are kept only as SHA-256 digests and compared with `timingSafeEqual` against every
 * configured digest of every tenant (no early exit), so neither the keys, their prefixes nor their
 * tenant leak through timing. With one tenant and no admin keys configured writes are open (local
 * use); with no read keys, reads are open. With several tenants every route but the public ones
 * needs a key, since the key says whose catalog it opens. An admin key also grants reads.
 */
export class KeyChecker {
  private readonly tenants: { id: string; admin: Buffer[]; read: Buffer[] }[];

  constructor(keys: Omit<TenantKeys, 'id'> | readonly TenantKeys[]) {
    const list: readonly TenantKeys[] = Array.isArray(keys)
      ? keys
      : [{ id: DEFAULT_TENANT, ...(keys as Omit<TenantKeys, 'id'>) }];
    this.tenants = list.map((t) => ({
      id: t.id,
      admin: toDigests(t.adminKeyHashes, `${t.field ?? ''}adminKeyHashes`),
      read: toDigests(t.readKeyHashes, `${t.field ?? ''}readKeyHashes`),
    }));
  }

  get writesOpen(): boolean {
    return this.tenants.length === 1 && this.tenants[0]!.admin.length === 0;
  }

  /** the tenant a request without a key acts on: the only one, when there is one */
  get defaultTenant(): string {
    return this.tenants[0]?.id ?? DEFAULT_TENANT;
  }

  /** The tenant a key belongs to and the access level it grants (admin implies read). */
  identify(key: string | undefined): { tenant: string; level: 'none' | 'read' | 'admin'; digest?: Buffer } {
    if (key === undefined) return { tenant: this.defaultTenant, level: 'none' };
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: { tenant: string; level: 'read' | 'admin' } | undefined;
    for (const t of this.tenants) {
      let isAdmin = false;
      let isRead = false;
      for (const d of t.admin) isAdmin = timingSafeEqual(d, digest) || isAdmin;
      for (const d of t.read) isRead = timingSafeEqual(d, digest) || isRead;
      if (!found && (isAdmin || isRead)) found = { tenant: t.id, level: isAdmin ? 'admin' : 'read' };
    }
    return found ? { ...found, digest } : { tenant: this.defaultTenant, level: 'none' };
  }

  /** The access level a key grants: admin implies read. */
  level(key: string | undefined): 'none' | 'read' | 'admin' {
    return this.identify(key).level;
  }

  /**
   * The key's tenant and level when it may use a route of this access; throws UNAUTHORIZED (no or
   * unknown key) or FORBIDDEN (read key on a write route).
   */
  check(
    access: Access,
    key: string | undefined,
  ): { tenant: string; level: 'none' | 'read' | 'admin'; digest?: Buffer } {
    const who = this.identify(key);
    if (access === 'public') return who;
    const only = this.tenants.length === 1 ? this.tenants[0] : undefined;
    const required = !only || (access === 'admin' ? only.admin.length > 0 : only.read.length > 0);
    if (!required) return who;
    if (who.level === 'admin' || (access === 'read' && who.level === 'read')) return who;
    if (who.level === 'none') {
      throw new RecError('UNAUTHORIZED', key === undefined ? 'an API key is required' : 'unknown API key', {
        field: 'authorization',
      });
    }
    throw new RecError('FORBIDDEN', 'this key is read-only', { field: 'authorization' });
  }
}
