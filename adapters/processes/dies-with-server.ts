/**
 * Making a child's process group die with this process, even when it is killed with SIGKILL or
 * crashes: Node cannot ask Linux for a parent-death signal (prctl PR_SET_PDEATHSIG), and a builder
 * left running after a crash writes into the paths its requeued build writes into again.
 *
 * The child is started through a small shell script with a pipe on its stdin that only this process
 * holds, and never writes to. The script leaves behind a watcher in the child's process group, then
 * execs the command with stdin from /dev/null (same pid, so its exit code and signal are the
 * command's own). The watcher blocks reading the pipe; it reads end of file when the last holder of
 * the other end is gone, which is when this process has died, and then kills the whole group. The
 * watcher is a grandchild whose parent has exited, so the command never sees it as a child of its
 * own (a `wait` for every child would wait for it). It uses shell builtins only: a build's `PATH`
 * is `/path-not-set`.
 */

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The shell the script runs in: POSIX requires one, and every Linux distribution has it here. */
const shell = '/bin/sh';

const script = [
  // The pipe moves to fd 3 for the watcher; the command reads /dev/null as it did before.
  'exec 3<&0 </dev/null',
  // Output to /dev/null, so that the watcher holds none of the pipes the log is read from.
  '( ( while read -r _ <&3; do :; done; kill -KILL 0 ) >/dev/null 2>&1 & )',
  'exec 3<&- "$@"',
].join('\n');

/** `$0` of the script, as `ps` shows it. */
const scriptName = 'tally-dies-with-server';

/**
 * The command line that runs `file` with `args` so that its process group dies with this process.
 * It must be started in a process group of its own (`detached`) with a pipe held by this process on
 * its stdin.
 */
export function diesWithServer(file: string, args: readonly string[]): { file: string; args: string[] } {
  return { file: shell, args: ['-c', script, scriptName, file, ...args] };
}

/**
 * Why `file` could not be started as `spawn` would say it (`spawn FILE ENOENT`), or `undefined` when
 * it can: started through the script, a missing or non-executable command would otherwise be the
 * shell's exit code 127 or 126, a failure of the build rather than a builder that could not start
 * (which the farm retries). A name without a slash is looked up in `PATH`, as `exec` does.
 */
export function whyNotExecutable(file: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = file.includes('/')
    ? [file]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file));
  let code = 'ENOENT';
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') code = 'EACCES';
    }
  }
  return `spawn ${file} ${code}`;
}
