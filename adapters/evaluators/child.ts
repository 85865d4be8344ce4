/**
 * Runs an evaluator child with the limits of the port: its own process group (so a timeout kills
 * everything it started, not just the direct child) and, where bwrap works, its own pid namespace
 * (so a child that left the group in a session of its own dies too), a wall clock, and a cap on the
 * bytes it may write. The answer is collected in memory, which the cap keeps bounded.
 */
import { closeAfterExit, pipeGraceMs } from '../processes/close-after-exit.ts';
import { spawnOffThread } from '../processes/spawn-thread.ts';
import { inOwnPidNamespace, unwrappedEnd } from './pid-namespace.ts';

/** How the child ended. */
export type ChildEnd =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signalled'; readonly signal: string }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'output-too-large' }
  | { readonly kind: 'spawn-failed'; readonly message: string };

/** What a child wrote and how it ended. */
export interface ChildRun {
  readonly end: ChildEnd;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface ChildOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly outputBytes: number;
  /** Aborting it kills the child's whole process group (the server is stopping). */
  readonly signal?: AbortSignal | undefined;
  /** Whether to run it in a pid namespace of its own where bwrap works; by default it does. */
  readonly ownPidNamespace?: boolean;
}

export async function runChild(
  command: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<ChildRun> {
  const run =
    options.ownPidNamespace === false
      ? { command, args, wrapped: false }
      : await inOwnPidNamespace(command, args);
  // Started off the event loop: a spawn blocks its thread until the child has exec'd.
  const child = spawnOffThread(run.command, run.args, {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.env !== undefined && { env: options.env }),
    detached: true,
    // A server killed outright takes its evaluators with it, bwrap or not: one left running would
    // go on using memory and a CPU for an evaluation the next start runs again.
    diesWithServer: true,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let written = 0;
  let forced: ChildEnd | undefined;
  const stop = (end: ChildEnd) => {
    forced ??= end;
    child.killGroup('SIGKILL');
  };
  const collect = (into: Buffer[]) => (chunk: Buffer) => {
    written += chunk.length;
    if (written > options.outputBytes) return stop({ kind: 'output-too-large' });
    into.push(chunk);
  };
  child.stdout.on('data', collect(stdout));
  child.stderr.on('data', collect(stderr));
  const timer = setTimeout(() => stop({ kind: 'timed-out' }), options.timeoutMs);
  const abort = () => stop({ kind: 'signalled', signal: 'SIGKILL' });
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  let spawnError: string | undefined;
  child.on('error', (error) => {
    spawnError = error.message;
  });
  // The leader is gone (exited, or killed by a limit): whatever it left in its group goes too.
  child.on('exit', () => child.killGroup('SIGKILL'));
  const { code, signal, heldOpen } = await closeAfterExit(child, () => child.destroyStdio());
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', abort);
  const exited: ChildEnd = signal ? { kind: 'signalled', signal } : { kind: 'exited', code: code ?? 0 };
  const end: ChildEnd =
    forced ??
    (spawnError !== undefined
      ? { kind: 'spawn-failed', message: spawnError }
      : run.wrapped
        ? unwrappedEnd(exited)
        : exited);
  if (heldOpen) {
    // Said in the log: an answer cut short by it would otherwise be a mystery.
    const note = `\n[tally] the evaluator ended, but a process it started held its output open past ${pipeGraceMs} ms; the rest was not read\n`;
    stderr.push(Buffer.from(note));
  }
  return { end, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') };
}
