/**
 * Telling a running process from a later one that got the same pid: a pid is reused after a reboot,
 * and in a container the server is often pid 1 every time. A lock or an announcement that records its
 * writer's start time is left over when the pid now runs a process that started at another time.
 */
import { readFileSync } from 'node:fs';

/**
 * When process `pid` started, in clock ticks since boot (field 22 of Linux's `/proc/PID/stat`), or
 * `undefined` where there is no `/proc` or no such process.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return after[22 - 3];
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
