/**
 * Writes that are all or nothing: the bytes go to a temporary file in the same directory tree,
 * reach the disk, and only then take their final name by `rename`, so a reader (or a process that
 * restarts after a crash) sees either the old file, or none, or the whole new one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A name for a temporary file that says which process made it, so leftovers can be told apart. */
export function tempName(prefix = ''): string {
  return `${prefix}${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** fsyncs a directory, so that a rename into it survives a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `file` atomically, through a temporary file in `tmpDir` (same file system). */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  tmpDir: string,
): Promise<void> {
  const temp = join(tmpDir, tempName());
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(file));
}

/** True when process `pid` is alive (EPERM means alive but not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
