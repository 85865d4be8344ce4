/**
 * What a local worker says about itself: the host's system (plus `builtin`), its cores and memory,
 * the free space of the store's file system, and Tally's version; any of them overridden by the
 * composition root (tests pin `maxJobs` or the systems).
 */
import { readFileSync, statfsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { hostSystem } from '../builders/native/native-builder.ts';
import type { WorkerCapabilities } from './worker-link.ts';

/** Capabilities a composition root may set instead of what the host says. */
export type CapabilityOverrides = Partial<Omit<WorkerCapabilities, 'name'>>;

/** The version in package.json: every Tally process and worker hello carries it. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Bytes free for unprivileged users on the file system holding `dir`; 0 when it cannot be asked. */
function freeBytes(dir: string): number {
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize;
  } catch {
    return 0;
  }
}

export function localCapabilities(
  name: string,
  storeDir: string,
  overrides: CapabilityOverrides = {},
): WorkerCapabilities {
  const systems = overrides.systems ?? [hostSystem()];
  const maxJobs = overrides.maxJobs ?? 1;
  if (!Number.isSafeInteger(maxJobs) || maxJobs < 1) {
    throw new RangeError(`a worker runs at least one build at once, not ${maxJobs}`);
  }
  return {
    name,
    systems: systems.includes('builtin') ? [...systems] : [...systems, 'builtin'],
    maxJobs,
    cores: overrides.cores ?? availableParallelism(),
    memoryBytes: overrides.memoryBytes ?? totalmem(),
    diskBytes: overrides.diskBytes ?? freeBytes(storeDir),
    version: overrides.version ?? packageVersion(),
  };
}
