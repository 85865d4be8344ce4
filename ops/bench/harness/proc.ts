/**
 * Linux /proc readings of another process: resident memory and CPU time. The bench uses them to
 * judge the ledger's memory ceiling and to tell which side (load generator or server) saturated.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in these ticks, fixed at 100 by the kernel's user ABI. */
const ticksPerSecond = 100;

/** A field of /proc/PID/status in bytes (`VmRSS`, `VmHWM`); `undefined` once the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resets the process's peak RSS (VmHWM) to its current RSS, so a later VmHWM is the peak of one
 * phase rather than of the process's whole life. Needs Linux ≥ 4.0 and permission; false if refused.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may itself contain spaces or parentheses).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Samples VmRSS every `intervalMs` until stopped; resolves the highest sample in bytes. */
export function sampleRss(pid: number, intervalMs = 50): { stop(): number } {
  let peak = statusBytes(pid, 'VmRSS') ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, statusBytes(pid, 'VmRSS') ?? 0);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, statusBytes(pid, 'VmRSS') ?? 0);
    },
  };
}

/** CPU seconds all processes on the machine have used so far (the `cpu` line of /proc/stat, minus idle and iowait). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) / ticksPerSecond;
}

/** CPU use between start and stop, in % of one core. */
export interface CpuUse {
  readonly bench: number;
  readonly server?: number;
  /** Everything else on the machine: when high, the figures of that phase are disturbed. */
  readonly others: number;
}

/**
 * CPU use of this process, of `serverPid` and of the rest of the machine between start and stop:
 * on a 2-core machine a side near 100 % is the bottleneck, and a busy rest means a noisy figure.
 */
export function startCpuMeter(serverPid?: number): { stop(): CpuUse } {
  const started = performance.now();
  const benchBefore = process.cpuUsage();
  const serverBefore = serverPid === undefined ? undefined : cpuSeconds(serverPid);
  const machineBefore = machineBusySeconds();
  return {
    stop() {
      const wallSeconds = (performance.now() - started) / 1000;
      const percent = (seconds: number) => Math.round((100 * seconds) / wallSeconds);
      const benchUsage = process.cpuUsage(benchBefore);
      const bench = percent((benchUsage.user + benchUsage.system) / 1e6);
      const server =
        serverPid === undefined || serverBefore === undefined
          ? undefined
          : percent(cpuSeconds(serverPid) - serverBefore);
      const machine = percent(machineBusySeconds() - machineBefore);
      return { bench, server, others: Math.max(0, machine - bench - (server ?? 0)) };
    },
  };
}

export const mebibytes = (bytes: number) => bytes / 1024 / 1024;
