// A thread of the store's unlink pool (`unlink-pool.ts`): runs the file operations it is sent with
// synchronous calls, one job at a time. Plain JavaScript so that a thread starts without a
// TypeScript loader.
//
// Jobs: { id, kind: 'stat', files }         answer { id, inodes, links } (0 and 0 for a missing file)
//       { id, kind: 'unlink', files }       unlink each file (a missing one is fine)
//       { id, kind: 'remove-tree', files }  delete each store tree (a read-only directory included)
// Failures answer { id, error: { message, code, path } }.
import { chmodSync, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';

function unlinkIfPresent(file) {
  try {
    unlinkSync(file);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}

// One unlink for a file or a symlink; a directory (read-only, as unpacked NARs are) is made
// writable and emptied first.
function removeTree(path) {
  try {
    unlinkSync(path);
    return;
  } catch (error) {
    if (error.code === 'ENOENT') return;
    if (error.code !== 'EISDIR' && error.code !== 'EPERM') throw error;
  }
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) return;
  if (!stats.isDirectory()) return unlinkIfPresent(path);
  chmodSync(path, 0o755);
  for (const name of readdirSync(path)) removeTree(join(path, name));
  rmdirSync(path);
}

function run(job) {
  switch (job.kind) {
    case 'stat': {
      const inodes = new Float64Array(job.files.length);
      const links = new Uint32Array(job.files.length);
      job.files.forEach((file, index) => {
        const stats = lstatSync(file, { throwIfNoEntry: false });
        inodes[index] = stats?.ino ?? 0;
        links[index] = stats?.nlink ?? 0;
      });
      return { inodes, links };
    }
    case 'unlink':
      for (const file of job.files) unlinkIfPresent(file);
      return {};
    case 'remove-tree':
      for (const file of job.files) removeTree(file);
      return {};
    default:
      throw new Error(`unknown job kind ${job.kind}`);
  }
}

parentPort.on('message', (job) => {
  try {
    parentPort.postMessage({ id: job.id, ...run(job) });
  } catch (error) {
    parentPort.postMessage({
      id: job.id,
      error: { message: error.message, code: error.code, path: error.path },
    });
  }
});
