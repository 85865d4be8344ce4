/**
 * The collection's own files, in a directory beside the store's state:
 *
 *   lock         a symbolic link naming the collection's pid and id while it runs (the store lock's
 *                kind, `tryLock`): refuses a second one, is taken over atomically from a process
 *                that died, and then names the collection that was interrupted. Earlier versions
 *                wrote lock.json ({ gcId, pid }); its holder alone reads it, once.
 *   running.json { gcId, pid } of the collection holding the lock, written once it has recovered
 *                the one it found interrupted (`recordRunning`) and removed before it lets go: the
 *                next holder finds in it a collection that did not end, whoever took the lock over
 *                from it (of several processes starting together over a dead one's lock, the one
 *                that took it over may be refused by another that then got it, and only this file
 *                tells that one about the dead collection). Until then it still names the
 *                interrupted one, so a holder that dies recovering it leaves it to the next
 *   chunk.json   { gcId, chunks: [{ chunk, paths }] } written (fsynced) before a round of chunks
 *                is unregistered and removed once their content is deleted: after a crash,
 *                exactly the paths whose content may be left over (a journal of one chunk,
 *                { gcId, chunk, paths }, as earlier versions wrote it, is read as a round of one)
 */
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, writeFileAtomic } from '../store/atomic.ts';
import { tryLock } from '../store/store-lock.ts';
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
  /**
   * Records this collection as the one holding the lock, once the interrupted one (if any) is
   * recovered: a holder that dies before then leaves the interrupted one named for the next.
   */
  recordRunning(): Promise<void>;
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

/**
 * Thrown when a collection could not read or delete a file of the store: it was recorded as failed
 * (`io-error`), and the next collection finishes what it left once the cause is mended.
 */
export class GcIoError extends Error {
  readonly code = 'TALLY_GC_IO_ERROR';
  constructor(
    readonly gcId: string,
    override readonly cause: Error & { readonly code?: unknown; readonly path?: unknown },
  ) {
    const where = typeof cause.path === 'string' ? ` on ${cause.path}` : '';
    const why = typeof cause.code === 'string' ? ` (${cause.code})` : '';
    super(
      `collection ${gcId} failed${where}${why}: ${cause.message}; it is recorded as failed (io-error). ` +
        'Mend the cause (permissions, a read-only or full file system), then run `tally gc` again: ' +
        'it finishes what this one left',
    );
    this.name = 'GcIoError';
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
  const lockFile = join(dir, 'lock');
  const journalFile = join(dir, 'chunk.json');
  const runningFile = join(dir, 'running.json');
  const taken = await tryLock(lockFile, gcId);
  if (taken.heldBy) throw new GcLockedError(taken.heldBy.note, taken.heldBy.pid);
  let recorded = false;
  const release = async () => {
    // Left naming an interrupted collection this one did not get to recover, for the next holder.
    if (recorded) await rm(runningFile, { force: true });
    await unlink(lockFile).catch(() => undefined);
  };
  // The collection that held the lock last and did not let go of it properly, as it recorded itself,
  // else as the lock taken over named it (a lock of a version that wrote no running.json).
  const running = await readJson<{ gcId: string; pid: number }>(runningFile);
  let interrupted: Acquired['interrupted'] =
    running && running.gcId !== gcId
      ? { gcId: running.gcId, pid: running.pid }
      : taken.tookOverFrom && { gcId: taken.tookOverFrom.note, pid: taken.tookOverFrom.pid };
  // The lock file of earlier versions, looked at only by the holder of the lock.
  const legacyFile = join(dir, 'lock.json');
  const legacy = await readJson<{ gcId: string; pid: number }>(legacyFile);
  if (legacy && isAlive(legacy.pid)) {
    // Not ours yet: what running.json says is for the next holder.
    await unlink(lockFile).catch(() => undefined);
    throw new GcLockedError(legacy.gcId, legacy.pid);
  }
  if (legacy) interrupted = { gcId: legacy.gcId, pid: legacy.pid };
  await rm(legacyFile, { force: true });
  const journal = await readJournal(journalFile);
  if (interrupted && journal?.gcId === interrupted.gcId) interrupted = { ...interrupted, journal };
  if (!interrupted && journal) interrupted = { gcId: journal.gcId, journal };
  for (const name of await readdir(dir))
    if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  return {
    recordRunning: async () => {
      await writeFileAtomic(runningFile, JSON.stringify({ gcId, pid: process.pid }), dir);
      recorded = true;
    },
    ...(interrupted && { interrupted }),
    release,
    writeJournal: (journal) => writeFileAtomic(journalFile, JSON.stringify(journal), dir),
    clearJournal: () => rm(journalFile, { force: true }),
  };
}
