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

/**
 * Keys are kept only as SHA-256 digests and compared with `timingSafeEqual` against every
 * configured digest (no early exit), so neither the keys nor their prefixes leak through timing.
 * With no admin keys configured writes are open (local use); with no read keys, reads are open.
 * An admin key also grants reads.
 */
export class KeyChecker {
  private readonly admin: Buffer[];
  private readonly read: Buffer[];

  constructor(opts: { adminKeyHashes: readonly string[]; readKeyHashes: readonly string[] }) {
    this.admin = toDigests(opts.adminKeyHashes, 'adminKeyHashes');
    this.read = toDigests(opts.readKeyHashes, 'readKeyHashes');
  }

  get writesOpen(): boolean {
    return this.admin.length === 0;
  }

  /** The access level a key grants: admin implies read. */
  level(key: string | undefined): 'none' | 'read' | 'admin' {
    if (key === undefined) return 'none';
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let isAdmin = false;
    let isRead = false;
    for (const d of this.admin) isAdmin = timingSafeEqual(d, digest) || isAdmin;
    for (const d of this.read) isRead = timingSafeEqual(d, digest) || isRead;
    return isAdmin ? 'admin' : isRead ? 'read' : 'none';
  }

  /** Throws UNAUTHORIZED (no or unknown key) or FORBIDDEN (read key on a write route). */
  check(access: Access, key: string | undefined): void {
    if (access === 'public') return;
    const required = access === 'admin' ? this.admin.length > 0 : this.read.length > 0;
    if (!required) return;
    const level = this.level(key);
    if (level === 'admin' || (access === 'read' && level === 'read')) return;
    if (level === 'none') {
      throw new RecError('UNAUTHORIZED', key === undefined ? 'an API key is required' : 'unknown API key', {
        field: 'authorization',
      });
    }
    throw new RecError('FORBIDDEN', 'this key is read-only', { field: 'authorization' });
  }
}
