/**
 * Runs a build process in its own process group, streams what it writes, and enforces the limits
 * of a build: wall clock, silence, log size, cancellation. Whatever ends it, the whole group is
 * killed afterwards too, so a builder's background children do not outlive the build; the group
 * dies with the server too, even one killed with SIGKILL, and is written down while it runs, so
 * that the next start kills whatever escaped that (`left-builds.ts`).
 */
import { spawnOffThread } from '../processes/spawn-thread.ts';
import type { BuildLimits } from './builder.ts';
import type { RunningBuilds } from './running-builds.ts';

/** How the process ended. */
export type RunEnd =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signalled'; readonly signal: string }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'silent-too-long' }
  | { readonly kind: 'log-too-large' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'spawn-failed'; readonly message: string };

export interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly limits: BuildLimits;
  readonly onLog?: (chunk: Uint8Array) => void;
  readonly signal?: AbortSignal;
  /**
   * How long a stopped process may clean up after SIGTERM before SIGKILL. 0 kills at once (our own
   * builders); `nix-store` gets time to kill its builder, which runs in a group of its own.
   */
  readonly graceMs?: number;
  /** Where the group is written down while it runs, and the build it is (for the log). */
  readonly record?: { readonly builds: RunningBuilds; readonly drvPath: string };
}

/** The end, and the last bytes of the log (for messages). */
export interface RunOutcome {
  readonly end: RunEnd;
  readonly logTail: string;
}

const tailBytes = 64 * 1024;
/** How long to wait for the pipes to close after the group was killed (a setsid'd grandchild). */
const closeGraceMs = 2000;
/**
 * The longest delay a timer holds (2^31 − 1 ms, 24.8 days): a longer one fires at once, which would
 * end every build as it started. Specifications recorded before their limits were bounded may ask more.
 */
const longestTimerMs = 2 ** 31 - 1;

export function runLogged(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunOutcome> {
  const { limits } = options;
  return new Promise((resolve) => {
    if (options.signal?.aborted) return resolve({ end: { kind: 'cancelled' }, logTail: '' });
    // Started off the event loop: a spawn blocks its thread until the child has exec'd.
    const child = spawnOffThread(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      diesWithServer: true,
    });
    const { record } = options;
    let recorded: Promise<void> = Promise.resolve();
    child.on('spawn', () => {
      if (record && child.pid !== undefined) recorded = record.builds.add(child.pid, record.drvPath);
    });
    let logged = 0;
    let tail = Buffer.alloc(0);
    let stopped: RunEnd | undefined;
    let spawnError: string | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = (end: RunEnd) => {
      if (stopped) return;
      stopped = end;
      if (options.graceMs) {
        child.killGroup('SIGTERM');
        timers.push(setTimeout(() => child.killGroup('SIGKILL'), options.graceMs));
      } else {
        child.killGroup('SIGKILL');
      }
    };
    const maxSilentMs = Math.min(limits.maxSilentMs, longestTimerMs);
    let silence = setTimeout(() => stop({ kind: 'silent-too-long' }), maxSilentMs);
    timers.push(setTimeout(() => stop({ kind: 'timed-out' }), Math.min(limits.timeoutMs, longestTimerMs)));
    const onAbort = () => stop({ kind: 'cancelled' });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onData = (chunk: Buffer) => {
      if (stopped) return;
      clearTimeout(silence);
      silence = setTimeout(() => stop({ kind: 'silent-too-long' }), maxSilentMs);
      const allowed = Math.max(0, limits.maxLogBytes - logged);
      const part = chunk.length > allowed ? chunk.subarray(0, allowed) : chunk;
      logged += chunk.length;
      if (part.length > 0) {
        options.onLog?.(new Uint8Array(part));
        tail = Buffer.concat([tail, part]).subarray(-tailBytes);
      }
      if (logged > limits.maxLogBytes) stop({ kind: 'log-too-large' });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      spawnError = error.message;
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(silence);
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const end: RunEnd =
        stopped ??
        (spawnError !== undefined
          ? { kind: 'spawn-failed', message: spawnError }
          : signal
            ? { kind: 'signalled', signal }
            : { kind: 'exited', code: code ?? 0 });
      const outcome = { end, logTail: tail.toString('utf8') };
      const pid = child.pid;
      // The group was killed when its leader exited (or it never started): its record can go.
      if (!record || pid === undefined) return resolve(outcome);
      void recorded.then(() => record.builds.remove(pid)).then(() => resolve(outcome));
    };
    child.on('exit', (code, signal) => {
      // The leader is gone; whatever it left behind in its group goes too.
      child.killGroup('SIGKILL');
      const force = setTimeout(() => {
        child.destroyStdio();
        finish(code, signal);
      }, closeGraceMs);
      child.on('close', () => {
        clearTimeout(force);
        finish(code, signal);
      });
    });
    child.on('close', (code, signal) => {
      if (spawnError !== undefined) finish(code, signal);
    });
  });
}
