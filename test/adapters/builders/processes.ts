/**
 * Finding a build's processes from the host by their command line (`sleep <unique duration>`): a
 * sandboxed builder has pids of its own namespace, so the pid it prints is no use outside.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A `sleep` argument no other process has: `1000.<random digits>` seconds. */
export function uniqueSleep(): string {
  return `1000.${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
}

/** Pids of live (not zombie) `sleep <duration>` processes. */
export function sleepers(duration: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (!argv[0]?.endsWith('sleep') || argv[1] !== duration) continue;
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (!/^State:\s+Z/m.test(status)) found.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Resolves once `check` holds; polls every 20 ms, rejects after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
