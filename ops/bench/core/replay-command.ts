/**
 * The replay row's measurement: the real `tally replay` in its own process. With `--data DIR` and no
 * server holding the directory it reads the ledger's files directly, as an operator's run does; with
 * `--eventstore URL` it reads through the gRPC client (the row's baseline). The
 * rate is the one the command prints (replay proper, files already open); the process's peak RSS is
 * read from /proc while it runs, since it is the memory of that process the target is about, and so is
 * the CPU it used, which says how much of the gap to a target is work rather than waiting.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, statusBytes } from '../harness/proc.ts';

const cli = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
const summary =
  /replayed (\d+) events into (\d+) projections in ([\d.]+) s \((\d+) events\/s, (\d+) skipped[;)]/;

/** The figures of the summary line `tally replay` prints, or `undefined` when it printed none. */
export function parseReplaySummary(stdout: string) {
  const match = summary.exec(stdout);
  if (!match) return undefined;
  const [events, projections, seconds, eventsPerSecond, skipped] = match.slice(1).map(Number) as number[];
  return {
    events: events!,
    projections: projections!,
    seconds: seconds!,
    eventsPerSecond: eventsPerSecond!,
    skipped: skipped!,
  };
}

export interface ReplayCommandResult {
  readonly events: number;
  readonly projections: number;
  readonly skipped: number;
  /** As the command printed it. */
  readonly eventsPerSecond: number;
  readonly replaySeconds: number;
  /** From spawning the command to its exit (Node start, opening the files, replay, hashing). */
  readonly wallSeconds: number;
  /** The command's peak resident memory (VmHWM). */
  readonly peakRssBytes: number;
  /**
   * CPU seconds (user + system, every thread) the command had used at its last sample, at most 50 ms
   * before it exited: how much work a replay is, whatever the cores it was spread over.
   */
  readonly cpuSeconds: number;
}

/** Runs `tally replay ARGS` to its end; rejects when it fails or prints no summary. */
export async function runReplayCommand(args: readonly string[]): Promise<ReplayCommandResult> {
  const started = performance.now();
  // The executable itself, so that its node options apply as when an operator runs `tally`.
  const child = spawn(cli, ['replay', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  let peakRssBytes = 0;
  let cpu = 0;
  const pid = child.pid;
  const poll = setInterval(() => {
    if (pid === undefined) return;
    peakRssBytes = Math.max(peakRssBytes, statusBytes(pid, 'VmHWM') ?? 0);
    try {
      cpu = cpuSeconds(pid);
    } catch {
      // Exited between two samples: the last one stands.
    }
  }, 50);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  }).finally(() => clearInterval(poll));
  const wallSeconds = (performance.now() - started) / 1000;
  const printed = parseReplaySummary(stdout);
  if (code !== 0 || !printed)
    throw new Error(`tally replay exited ${code}: ${stdout.slice(-1000)}\n${stderr.slice(-2000)}`);
  return {
    events: printed.events,
    projections: printed.projections,
    skipped: printed.skipped,
    eventsPerSecond: printed.eventsPerSecond,
    replaySeconds: printed.seconds,
    wallSeconds,
    peakRssBytes,
    cpuSeconds: cpu,
  };
}
