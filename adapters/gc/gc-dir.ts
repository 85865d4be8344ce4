/**
 * The collection's own files, in a directory beside the store's state:
 *
 *   lock.json    { gcId, pid } while a collection runs: refuses a second one, and after a crash
 *                names the collection that was interrupted (its pid is gone)
 *   chunk.json   { gcId, chunks: [{ chunk, paths }] } written (fsynced) before a round of chunks
 *                is unregistered and removed once their content is deleted: after a crash,
 *                exactly the paths whose content may be left over (a journal of one chunk,
 *                { gcId, chunk, paths }, as earlier versions wrote it, is read as a round of one)
 */
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, writeFileAtomic } from '../store/atomic.ts';
import type { PathRecord } from './gc-store.ts';

/** What recovery needs of a path a collection was removing. */
export type RemovedPath = Pick<PathRecord, 'path' | 'bytes' | 'fileHash'>;

/** The chunks a collection was removing, in order. */
export interface ChunkJournal {
  readonly gcId: string;
  readonly chunks: readonly { readonly chunk: number; readonly paths: readonly RemovedPath[] }[];
}

/** A journal as written, by this version or by one that journaled a single chunk. */
type WrittenJournal = ChunkJournal | { gcId: string; chunk: number; paths: RemovedPath[] };

async function readJournal(file: string): Promise<ChunkJournal | undefined> {
  const written = await readJson<WrittenJournal>(file);
  if (!written || 'chunks' in written) return written;
  return { gcId: written.gcId, chunks: [{ chunk: written.chunk, paths: written.paths }] };
}

/** A collection that did not end: its process died holding the lock, or it failed mid-chunk. */
export interface Interrupted {
  readonly gcId: string;
  /** The dead process, when it was one. */
  readonly pid?: number;
  /** The chunks it was removing, if any. */
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
      const journal = await readJournal(journalFile);
      interrupted = { gcId: held.gcId, pid: held.pid, ...(journal?.gcId === held.gcId && { journal }) };
    }
    // A torn lock file (a crash while writing it) or a dead holder: take it over.
    await rm(lockFile, { force: true });
  }
  const journal = await readJournal(journalFile);
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
