/**
 * Removes a tree that may be read-only (an unpacked NAR is 0555/0444): directories are made
 * writable first, as a non-root user cannot delete the entries of a 0555 directory.
 */
import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

async function makeWritable(path: string): Promise<void> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats?.isDirectory()) return;
  await chmod(path, 0o755);
  for (const name of await readdir(path)) await makeWritable(join(path, name));
}

/** Deletes `path` and everything under it; no error if it does not exist. */
export async function removeTree(path: string): Promise<void> {
  await makeWritable(path);
  await rm(path, { recursive: true, force: true });
}
