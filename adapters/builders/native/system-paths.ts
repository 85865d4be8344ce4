/**
 * Which host paths a sandboxed builder may read. Derivations built by the native builder use the
 * host's tools (`/bin/sh`, `/usr/bin/env`), so the system directories are visible, read-only; of
 * `/etc` only what programs need to run, resolve names and check certificates, not its secrets.
 */
import { lstat, readlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { SystemPath } from './bwrap-args.ts';

/** The host paths a sandboxed build sees by default (those that exist). */
export const defaultSystemPaths: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/group',
  '/etc/hosts',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/protocols',
  '/etc/resolv.conf',
  '/etc/services',
  '/etc/ssl',
];

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * How each existing path is shown: a symbolic link whose target is itself visible is recreated
 * (`/bin -> usr/bin`), any other path is bound (a link to elsewhere shows what it points to).
 */
export async function resolveSystemPaths(paths: readonly string[]): Promise<SystemPath[]> {
  const found: { path: string; target?: string }[] = [];
  for (const path of paths) {
    const stats = await lstat(path).catch(() => undefined);
    if (!stats) continue;
    found.push(stats.isSymbolicLink() ? { path, target: await readlink(path) } : { path });
  }
  const bound = found.filter((entry) => entry.target === undefined).map((entry) => entry.path);
  return found.map(({ path, target }) => {
    if (target === undefined) return { kind: 'bind', path };
    const resolved = resolve(dirname(path), target);
    return bound.some((dir) => within(resolved, dir))
      ? { kind: 'symlink', path, target }
      : { kind: 'bind', path };
  });
}
