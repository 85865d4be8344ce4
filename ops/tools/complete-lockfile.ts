/**
 * Completes package-lock.json for platform-specific optional packages the registry here does not
 * serve. The registry this project installs from answers 404 for other platforms' builds of some
 * tools (Biome's `@biomejs/cli-darwin-x64`, …), so `npm install` leaves them out of the lock, and
 * `npm ci` then refuses the lock as out of sync. Each missing package gets the entry npm would have
 * written: its version, `optional`, and the os/cpu/libc it is for — enough for `npm ci` to skip it
 * on this machine, as it would have anyway.
 *
 * Run after changing dependencies: `npm run lock:complete`. `test/ops/lockfile.unit.test.ts` fails
 * when the lock needs it.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

const platformName = /-(android|darwin|linux|win32|freebsd)-(x64|arm64|ia32|arm)(-musl)?$/;

/** The optional packages a lock's entries name but do not hold, with the entry each would need. */
export function missingPlatformEntries(lock: Lockfile): Map<string, LockEntry> {
  const missing = new Map<string, LockEntry>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const key = `node_modules/${name}`;
      if (lock.packages[key] || lock.packages[`${path}/node_modules/${name}`]) continue;
      const platform = platformName.exec(name);
      if (!platform) continue;
      missing.set(key, {
        version,
        ...(entry.dev ? { dev: true } : {}),
        optional: true,
        os: [platform[1]!],
        cpu: [platform[2]!],
        ...(platform[3] ? { libc: ['musl'] } : {}),
      });
    }
  }
  return missing;
}

export function completeLockfile(path: string): number {
  const lock = JSON.parse(readFileSync(path, 'utf8')) as Lockfile;
  const missing = missingPlatformEntries(lock);
  if (missing.size === 0) return 0;
  const packages: Record<string, LockEntry> = { ...lock.packages, ...Object.fromEntries(missing) };
  lock.packages = Object.fromEntries(
    Object.keys(packages)
      .sort()
      .map((key) => [key, packages[key]!]),
  );
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  return missing.size;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const added = completeLockfile(new URL('../../package-lock.json', import.meta.url).pathname);
  console.log(
    added === 0 ? 'package-lock.json is complete' : `added ${added} platform entries to package-lock.json`,
  );
}
