import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface StaticFile {
  type: string;
  body: Buffer;
}

/**
 * The dashboard's files, read once at start-up into memory (a few kB), keyed by URL path. Only
 * files that exist under web/ are ever served, so there is no path to traverse.
 */
export async function loadStaticFiles(root = WEB_ROOT): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let entries: string[];
  try {
    entries = (await readdir(root, { recursive: true })) as string[];
  } catch {
    return files; // no dashboard shipped: the API still works
  }
  for (const rel of entries) {
    const type = TYPES[extname(rel)];
    if (!type) continue;
    const path = join(root, rel);
    const urlPath = `/web/${relative(root, path).split('\\').join('/')}`;
    files.set(urlPath, { type, body: await readFile(path) });
  }
  return files;
}
