/**
 * Waiting for a child to end without waiting on what it left behind. Its pipes close when the last
 * process holding them does, and a program that starts a background process in a session of its
 * own (`setsid`, a double fork) puts that process out of reach of a process-group kill: the pipes
 * stay open after the child has exited, for as long as that process lives. So once the child has
 * exited, the pipes get a short grace to close, and then our ends are closed and the run goes on
 * with what was read.
 *
 * What arrives during the grace is kept: the exit is reported as soon as the child is reaped, which
 * can be before the last bytes it wrote were read off the pipe. Whatever a left-over process writes
 * after the grace is not read; it could only have mixed its bytes into the child's answer anyway.
 */
import type { EventEmitter } from 'node:events';

/** How long the pipes may stay open after the child exited: draining what it wrote takes milliseconds. */
export const pipeGraceMs = 1000;

/** How the child ended, as its `exit` (or, without one, `close`) event said. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when something still held the pipes after the grace, and our ends were closed. */
  readonly heldOpen: boolean;
}

/**
 * Resolves when `child`'s pipes have closed, or `graceMs` after it exited with them still open,
 * once `closeStdio` has closed our ends. `child` is a `ChildProcess` or anything with its `exit`
 * and `close` events.
 */
export function closeAfterExit(
  child: EventEmitter,
  closeStdio: () => void,
  graceMs = pipeGraceMs,
): Promise<Ended> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      exited = { code, signal };
      timer = setTimeout(() => {
        closeStdio();
        resolve({ code, signal, heldOpen: true });
      }, graceMs);
    });
    // A child that could not start has no exit, only a close.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ ...(exited ?? { code, signal }), heldOpen: false });
    });
  });
}
