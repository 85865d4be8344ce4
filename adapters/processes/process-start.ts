/**
 * Telling a running process from a later one that got the same pid: a pid is reused after a reboot,
 * and in a container the server is often pid 1 every time. A lock or an announcement that records its
 * writer's start time is left over when the pid now runs a process that started at another time.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * When process `pid` started, in clock ticks since boot (field 22 of Linux's `/proc/PID/stat`), or
 * `undefined` where there is no `/proc` or no such process.
 */
export function processStart(pid: number): string | undefined {
  return statField(pid, 22);
}

/**
 * Process `pid`'s state (field 3 of `/proc/PID/stat`: `R`, `S`, `D`, `Z` for a zombie…), or
 * `undefined` where there is no such process.
 */
export function processState(pid: number): string | undefined {
  return statField(pid, 3);
}

/** Field `field` (from 3 on, as `proc(5)` numbers them) of `/proc/PID/stat`. */
function statField(pid: number, field: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return after[field - 3];
  } catch {
    return undefined;
  }
}

/** This process's start (`processStart`), for what it writes down next to its pid. */
export const ownStart = processStart(process.pid);

/**
 * True when the process that recorded `pid` (and `started`, when it recorded it) still runs. Without
 * a start time to compare, any process with that pid counts.
 */
export function isProcessRunning(pid: number, started?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (started === undefined) return true;
  const now = processStart(pid);
  return now === undefined || now === started;
}

/**
 * This process's pid namespace (`pid:[4026531836]`), or `undefined` without `/proc`. A pid, and its
 * start, mean something only within the namespace that gave them: a process in another container sees
 * other processes under the same numbers.
 */
export const ownPidNamespace = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();

/** What a lock or an announcement records of its writer: pid, start and pid namespace, space-separated. */
export function ownerTag(): string {
  return [process.pid, ownStart, ownPidNamespace].filter((part) => part !== undefined).join(' ');
}

/**
 * Whether the writer a tag names (`ownerTag`) still runs, as far as this process can tell: `undefined`
 * when it cannot, the writer being in another pid namespace.
 */
export function isTaggedOwnerRunning(tag: string): boolean | undefined {
  const [pid, started, namespace] = tag.trim().split(/\s+/);
  const owner = Number.parseInt(pid ?? '', 10);
  if (!Number.isInteger(owner) || owner <= 0) return false;
  if (namespace !== undefined && ownPidNamespace !== undefined && namespace !== ownPidNamespace)
    return undefined;
  return isProcessRunning(owner, started || undefined);
}
