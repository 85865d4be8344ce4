/**
 * The memory cap of an evaluator's programs: an address-space limit set by `prlimit --as` (or the
 * shell's `ulimit -v` where util-linux is missing) on the command, so that a program that allocates
 * without bound fails its own allocations instead of taking the machine's memory.
 */
import { spawnSync } from 'node:child_process';

const hasPrlimit = spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;

/** How programs say an allocation failed: C and C++ runtimes, Nix and its collector, Node, Python. */
export const outOfMemoryWords =
  /out of memory|std::bad_alloc|Cannot allocate memory|GC Warning: Failed to expand heap|Array buffer allocation failed|Fatal process OOM|MemoryError/i;

/** `command args` run under an address-space limit of `memoryBytes`, as a command and arguments. */
export function withMemoryLimit(
  command: string,
  args: readonly string[],
  memoryBytes: number,
): [string, string[]] {
  if (hasPrlimit) return ['prlimit', [`--as=${memoryBytes}`, '--', command, ...args]];
  return [
    '/bin/sh',
    ['-c', `ulimit -v ${Math.floor(memoryBytes / 1024)} && exec "$0" "$@"`, command, ...args],
  ];
}
