/**
 * An evaluator in a pid namespace of its own, where bubblewrap can make one here. A jobs program
 * may start children in a session of their own (`setsid`, a double fork), out of reach of the
 * process-group kill that ends an evaluation; in a pid namespace they cannot get away, for the
 * kernel kills everything in the namespace when its first process (bwrap's) ends, which it does
 * when the evaluator exits or is killed (`--die-with-parent`). Nothing else is isolated: the whole
 * file system is bound as it is, so an evaluator sees and writes what it did before.
 *
 * Where bwrap is missing or cannot run (no user namespaces), the evaluator runs as before and an
 * escaped child lives on; the evaluation still does not wait for it (`close-after-exit.ts`).
 */
import { constants } from 'node:os';
import { detectBubblewrap } from '../builders/native/bubblewrap.ts';
import type { ChildEnd } from './child.ts';

/**
 * Whether bwrap works here, found out once per process on first use, as the memory cap probes for
 * `prlimit`: the machine does not change under a running server.
 */
let bwrapPath: Promise<string | undefined> | undefined;

function usableBwrap(): Promise<string | undefined> {
  bwrapPath ??= detectBubblewrap().then((found) => (found.usable ? found.path : undefined));
  return bwrapPath;
}

/** `command args` in a pid namespace of its own where bwrap works, or as they are. */
export async function inOwnPidNamespace(
  command: string,
  args: readonly string[],
): Promise<{ command: string; args: readonly string[]; wrapped: boolean }> {
  const bwrap = await usableBwrap();
  if (bwrap === undefined) return { command, args, wrapped: false };
  return {
    command: bwrap,
    args: [
      '--dev-bind',
      '/',
      '/',
      '--unshare-pid',
      '--proc',
      '/proc',
      '--die-with-parent',
      '--',
      command,
      ...args,
    ],
    wrapped: true,
  };
}

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

/**
 * bwrap exits with 128 + n when the command was killed by signal n, as a shell reports it: that
 * code is read back as the signal, so a wrapped evaluator's end reads as an unwrapped one's.
 */
export function unwrappedEnd(end: ChildEnd): ChildEnd {
  if (end.kind !== 'exited' || end.code <= 128) return end;
  const signal = signalNames.get(end.code - 128);
  return signal === undefined ? end : { kind: 'signalled', signal };
}
