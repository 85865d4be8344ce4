/**
 * Finds a real PostgreSQL server installation. Debian puts the binaries under
 * /usr/lib/postgresql/<major>/bin, while names on the PATH may be symlinks into it or
 * postgresql-common's `pg_wrapper` script (which needs a configured cluster), so we resolve each
 * candidate and keep only ELF executables.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A directory holding `initdb`, `pg_ctl` and `postgres` as real executables. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly major: number;
}

export type BinariesLookup =
  | { readonly found: true; readonly binaries: PostgresBinaries }
  | { readonly found: false; readonly reason: string };

const required = ['initdb', 'pg_ctl', 'postgres'] as const;

export function findPostgresBinaries(): BinariesLookup {
  const candidates = [...debianBinDirs(), ...pathBinDirs()];
  const usable = candidates.find((dir) => required.every((name) => isElfExecutable(join(dir, name))));
  if (!usable) {
    const looked = candidates.length > 0 ? candidates.join(', ') : '/usr/lib/postgresql/*/bin and PATH';
    return { found: false, reason: `no initdb, pg_ctl and postgres binaries found (looked in ${looked})` };
  }
  const major = Number(/postgresql\/(\d+)\//.exec(usable)?.[1] ?? Number.NaN);
  return { found: true, binaries: { binDir: usable, major } };
}

/** Debian's per-version directories, newest first. */
function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'));
}

/** The directory an `initdb` on the PATH really lives in, following symlinks. */
function pathBinDirs(): string[] {
  return (process.env.PATH ?? '')
    .split(':')
    .map((dir) => join(dir, 'initdb'))
    .filter((path) => existsSync(path))
    .map((path) => dirname(realpathSync(path)));
}

function isElfExecutable(path: string): boolean {
  try {
    const fd = openSync(realpathSync(path), 'r');
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    return head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } catch {
    return false;
  }
}
