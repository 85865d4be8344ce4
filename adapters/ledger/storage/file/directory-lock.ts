/**
 * One process per data directory: two writers appending to the same segments would interleave
 * records. The lock is a `lock` file created exclusively, holding its owner's pid, start time and pid
 * namespace (`ownerTag`), and touched every few seconds while held. A lock left over from a crash is
 * taken over:
 * - by a process in the owner's pid namespace, once the owner no longer runs (a pid now running a
 *   process that started at another time counts as gone: after a reboot, say);
 * - by a process in another one (another container sharing the data directory, or the same container
 *   started again, where the server is often pid 1 both times), which cannot see the owner, once the
 *   lock has not been touched for `staleAfterMs`.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isTaggedOwnerRunning, ownerTag } from '../../../processes/process-start.ts';

/** How often a held lock is touched. */
const touchEveryMs = 5_000;
/** How long a lock of another pid namespace must have gone untouched to count as left over. */
export const staleAfterMs = 30_000;

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
      const tag = readOwner(path);
      const owner = tag.split(/\s+/)[0];
      // Our own pid and start count as running: the same process must not open the directory twice.
      const running = isTaggedOwnerRunning(tag) ?? Date.now() - touchedAt(path) < staleAfterMs;
      if (running) {
        throw new DirectoryLockedError(
          `the ledger directory ${directory} is in use by process ${owner} (${path}): ` +
            'wait for it to finish, or stop it, and run this again' +
            (isTaggedOwnerRunning(tag) === undefined
              ? ` (it runs in another pid namespace; a lock it left behind is taken over ${staleAfterMs / 1000} s after its last touch)`
              : ''),
        );
      }
      removeIfPresent(path);
      continue;
    }
    try {
      writeSync(fd, `${ownerTag()}\n`);
    } finally {
      closeSync(fd);
    }
    const touching = setInterval(() => {
      const now = new Date();
      try {
        utimesSync(path, now, now);
      } catch {
        // Removed or unreachable: the next touch tries again; a release stops the timer.
      }
    }, touchEveryMs);
    touching.unref();
    return () => {
      clearInterval(touching);
      removeIfPresent(path);
    };
  }
  throw new DirectoryLockedError(
    `could not take the lock ${path}: other processes keep racing for it; stop them and run this again`,
  );
}

/** When the lock was last touched (epoch ms); 0 when it cannot be read. */
function touchedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
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
