/**
 * One process per data directory: two writers appending to the same segments would interleave
 * records. The lock is a `lock` file created exclusively and holding the owner's pid and start time;
 * a lock whose process is no longer running (or whose pid now runs a process started at another time,
 * as after a reboot or in a container, where the server is often pid 1) is left over from a crash and
 * is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessRunning, ownStart } from '../../../processes/process-start.ts';

export const lockFileName = 'lock';

/** The directory's lock is held by a running process, or could not be taken. */
export class DirectoryLockedError extends Error {
  readonly code = 'TALLY_LEDGER_IN_USE';
}

/** Takes the lock of `directory`; the returned function releases it. Throws if a live process holds it. */
export function lockDirectory(directory: string): () => void {
  const path = join(directory, lockFileName);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pid, started] = readOwner(path).split(/\s+/);
      const owner = Number.parseInt(pid ?? '', 10);
      // Our own pid and start count as running: the same process must not open the directory twice.
      if (Number.isInteger(owner) && owner > 0 && isProcessRunning(owner, started || undefined)) {
        throw new DirectoryLockedError(
          `the ledger directory ${directory} is in use by process ${owner} (${path}): ` +
            'wait for it to finish, or stop it, and run this again',
        );
      }
      removeIfPresent(path);
      continue;
    }
    try {
      writeSync(fd, ownStart === undefined ? `${process.pid}\n` : `${process.pid} ${ownStart}\n`);
    } finally {
      closeSync(fd);
    }
    return () => removeIfPresent(path);
  }
  throw new DirectoryLockedError(
    `could not take the lock ${path}: other processes keep racing for it; stop them and run this again`,
  );
}

function readOwner(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
