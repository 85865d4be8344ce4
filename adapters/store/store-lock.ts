/**
 * The store's write lock, held across processes (`tally serve`, `tally gc`, `tally store verify`
 * may open one store at once) while the valid-path log is appended to or rewritten.
 *
 * The lock is a symbolic link whose target names its holder (`<pid>:<token>`): creating it is
 * atomic, it costs no data block, and a holder that died is recognised by its pid. Such a stale
 * lock is taken over by renaming it aside and checking that what was renamed is the lock that was
 * seen stale (a holder that took the lock meanwhile gets it back by `link`, which fails rather than
 * overwrite). Within a process the lock is shared by every store opened on the same directory, so
 * two of them take turns instead of each seeing the other as a live holder.
 */
import { randomBytes } from 'node:crypto';
import { link, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { isAlive } from './atomic.ts';
import { StoreError } from './errors.ts';

const inProcess = new Map<string, Promise<unknown>>();
const token = randomBytes(6).toString('hex');
const owner = `${process.pid}:${token}`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when the lock naming `holder` cannot be held by a live process. */
function isStale(holder: string): boolean {
  const [pid, holderToken] = holder.split(':');
  const number = Number(pid);
  if (!Number.isSafeInteger(number) || number <= 0) return true;
  // Our own pid with another token: a process before a reboot reused this pid.
  if (number === process.pid) return holderToken !== token;
  return !isAlive(number);
}

async function takeOver(file: string, seen: string): Promise<void> {
  const aside = `${file}.stale-${token}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readlink(aside).catch(() => undefined);
  if (moved !== seen) await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function acquire(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      await symlink(owner, file);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readlink(file).catch(() => undefined);
    if (holder === undefined) continue;
    if (isStale(holder)) {
      await takeOver(file, holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new StoreError(
        'TALLY_STORE_LOCKED',
        `the store's lock ${file} has been held by process ${holder.split(':')[0]} for over ${timeoutMs / 1000} s; ` +
          'if that process is hung, stop it and try again',
      );
    }
    await pause(wait);
  }
}

/** Runs `work` holding the lock `file`; waits up to `timeoutMs` for it. */
export function withStoreLock<T>(file: string, work: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const previous = inProcess.get(file) ?? Promise.resolve();
  const turn = previous.then(async () => {
    await acquire(file, timeoutMs);
    try {
      return await work();
    } finally {
      await unlink(file).catch(() => undefined);
    }
  });
  const settled = turn.catch(() => undefined);
  inProcess.set(file, settled);
  void settled.then(() => inProcess.get(file) === settled && inProcess.delete(file));
  return turn;
}

/** Who holds a lock taken with `tryLock`: its pid, and the note it left. */
export interface LockHolder {
  readonly pid: number;
  readonly note: string;
}

function holderOf(target: string): LockHolder {
  const [pid, , ...note] = target.split(':');
  return { pid: Number(pid), note: note.join(':') };
}

/**
 * Takes the lock `file` for this process, leaving `note` in it (what it is held for), or answers who
 * holds it: for locks held for a whole task, refused rather than waited for. A lock left by a process
 * that died is taken over as `withStoreLock` does, atomically, and `tookOverFrom` names that holder.
 * Release it with `unlink(file)`.
 */
export async function tryLock(
  file: string,
  note: string,
): Promise<
  { readonly heldBy: LockHolder } | { readonly heldBy?: undefined; readonly tookOverFrom?: LockHolder }
> {
  let tookOverFrom: LockHolder | undefined;
  for (;;) {
    try {
      await symlink(`${owner}:${note}`, file);
      return tookOverFrom ? { tookOverFrom } : {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readlink(file).catch(() => undefined);
    if (holder === undefined) continue;
    if (!isStale(holder)) return { heldBy: holderOf(holder) };
    await takeOver(file, holder);
    tookOverFrom = holderOf(holder);
  }
}
