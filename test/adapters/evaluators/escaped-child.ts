/**
 * A jobs program's child that leaves its process group: `sleep <unique duration>` started with
 * `setsid`, holding the program's stdout and stderr open, found from the host by its command line.
 */
import { join } from 'node:path';
import { sleepers, uniqueSleep } from '../builders/processes.ts';

export interface EscapedChild {
  /** Shell lines that start it and return once it is in its own session. */
  readonly start: string;
  /** Pids of it still running. */
  running(): number[];
  /** Kills it if it still runs, so a failing test leaves nothing behind. */
  kill(): void;
}

/** An escaped child whose marker file goes in `dir`. */
export function escapedChild(dir: string): EscapedChild {
  const duration = uniqueSleep();
  const marker = join(dir, `escaped-${duration}`);
  // The marker is written after setsid: waiting for it means the child is out of the group's reach.
  const start = [
    `/usr/bin/setsid /bin/sh -c 'echo > "$0"; exec /bin/sleep ${duration}' '${marker}' &`,
    `while [ ! -e '${marker}' ]; do /bin/sleep 0.02; done`,
  ].join('\n');
  const running = () => sleepers(duration);
  return {
    start,
    running,
    kill: () => {
      for (const pid of running()) process.kill(pid, 'SIGKILL');
    },
  };
}
