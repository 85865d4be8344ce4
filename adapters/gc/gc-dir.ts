/**
 * The collection's own files, in a directory beside the store's state:
 *
 *   lock.json    { gcId, pid } while a collection runs: refuses a second one, and after a crash
 *                names the collection that was interrupted (its pid is gone)
 *   chunk.json   { gcId, chunk, paths } written (fsynced) before a chunk is unregistered and
 *                removed once its content is deleted: after a crash, exactly the paths whose
 *                content may be left over
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, writeFileAtomic } from '../store/atomic.ts';
import type { PathRecord } from './gc-store.ts';

/** The chunk a collection was removing. */
export interface ChunkJournal {
  readonly gcId: string;
  readonly chunk: number;
  readonly paths: readonly PathRecord[];
}

/** A collection that did not end: its process died holding the lock, or it failed mid-chunk. */
export interface Interrupted {
  readonly gcId: string;
  /** The dead process, when it was one. */
  readonly pid?: number;
  /** The chunk it was removing, if one. */
  readonly journal?: ChunkJournal;
}

/** What `acquire` found: the lock is ours, and maybe a collection that did not end. */
export interface Acquired {
  readonly interrupted?: Interrupted;
  release(): Promise<void>;
  writeJournal(journal: ChunkJournal): Promise<void>;
  clearJournal(): Promise<void>;
}

/** Thrown when a live process holds the lock. */
export class GcLockedError extends Error {
  readonly code = 'TALLY_GC_LOCKED';
  constructor(
    readonly gcId: string,
    readonly pid: number,
  ) {
    super(`collection ${gcId} is running (pid ${pid}); only one runs at a time`);
    this.name = 'GcLockedError';
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Takes the lock of `dir` for collection `gcId`. */
export async function acquireGcDir(dir: string, gcId: string): Promise<Acquired> {
  await mkdir(dir, { recursive: true });
  const lockFile = join(dir, 'lock.json');
  const journalFile = join(dir, 'chunk.json');
  let interrupted: Acquired['interrupted'];
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify({ gcId, pid: process.pid })}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readJson<{ gcId: string; pid: number }>(lockFile);
    if (held && isAlive(held.pid)) throw new GcLockedError(held.gcId, held.pid);
    if (held) {
      const journal = await readJson<ChunkJournal>(journalFile);
      interrupted = { gcId: held.gcId, pid: held.pid, ...(journal?.gcId === held.gcId && { journal }) };
    }
    // A torn lock file (a crash while writing it) or a dead holder: take it over.
    await rm(lockFile, { force: true });
  }
  const journal = await readJson<ChunkJournal>(journalFile);
  if (!interrupted && journal) interrupted = { gcId: journal.gcId, journal };
  for (const name of await readdir(dir))
    if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  return {
    ...(interrupted && { interrupted }),
    release: () => rm(lockFile, { force: true }),
    writeJournal: (journal) => writeFileAtomic(journalFile, JSON.stringify(journal), dir),
    clearJournal: () => rm(journalFile, { force: true }),
  };
}
