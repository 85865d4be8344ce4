/**
 * Build logs, one gzip file per attempt: `<state>/logs/<drv basename>/<attempt>.gz`. gzip rather
 * than zstd because node:zlib streams it natively both ways and HTTP clients decode it; logs are
 * text and small next to NARs. Written atomically: a reader never sees half a compressed log.
 *
 * While a build runs its log grows in plain `<attempt>.live` beside them, so it can be read (and
 * followed) during the build; closing the log compresses it into `<attempt>.gz` and only then
 * removes the live file. A live file left by a crash is never thrown away: it stays readable as the
 * attempt's log (flagged `live`), and the next `open` of the same derivation, for another attempt,
 * compresses it into its own `.gz`. Whether a live log is still being written is known only to the
 * store that writes it, which is the server's own: following a log ends as soon as no log writer of
 * this store has that file open.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { access, type FileHandle, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { tempName } from './atomic.ts';
import { StoreError } from './errors.ts';
import { checkStorePath } from './store-paths.ts';

/** A log being written while its build runs. */
export interface LiveLog {
  /** Appends a chunk (writes are queued in order); readers of the live file see it once written. */
  append(chunk: Uint8Array): void;
  /** Bytes of log so far (with what a crashed writer of the same attempt left). */
  readonly bytes: number;
  /** Waits for queued writes, compresses the log into place, removes the live file; resolves with its size. */
  close(): Promise<number>;
  /** Stops writing and leaves the live file as a crash would: readable, finished by a later `open`. */
  abort(): Promise<void>;
}

/** An attempt's log for reading; `live` while its build still writes it (or a crash left it so). */
export interface StoredLog {
  readonly attempt: number;
  readonly stream: Readable;
  readonly live: boolean;
}

/** How to read a log. */
export interface ReadLogOptions {
  /** Streams a live log as it grows, until its writer closes it (a finished log is read as is). */
  readonly follow?: boolean;
  /** How often a followed log is checked for growth; 200 ms by default. */
  readonly pollMs?: number;
}

function checkAttempt(attempt: number): void {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new StoreError('TALLY_STORE_BAD_ARGUMENT', `a build attempt is a positive integer, not ${attempt}`);
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function gunzipped(handle: FileHandle): Readable {
  // A pipeline destroys the file stream too when the reader goes away.
  return pipeline(handle.createReadStream(), createGunzip(), () => undefined);
}

/** A file handle, or undefined when the file does not exist. */
async function openIfExists(path: string, flags = 'r'): Promise<FileHandle | undefined> {
  try {
    return await open(path, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function createLogs(dir: string, tmpDir: string, storeDir: string) {
  /** Live files a writer of this store holds open. */
  const writing = new Set<string>();

  const dirOf = (drvPath: string) => {
    const { baseName } = checkStorePath(storeDir, drvPath);
    if (!baseName.endsWith('.drv')) {
      throw new StoreError('TALLY_STORE_BAD_PATH', `'${drvPath}' is not a derivation (.drv) path`);
    }
    return join(dir, baseName);
  };

  async function attemptsIn(drvDir: string): Promise<Array<{ attempt: number; live: boolean }>> {
    const names = await readdir(drvDir).catch(() => [] as string[]);
    return names.flatMap((name) => {
      const match = /^([1-9][0-9]*)\.(gz|live)$/.exec(name);
      return match ? [{ attempt: Number(match[1]), live: match[2] === 'live' }] : [];
    });
  }

  async function write(drvPath: string, attempt: number, log: AsyncIterable<Uint8Array>): Promise<void> {
    checkAttempt(attempt);
    const drvDir = dirOf(drvPath);
    await mkdir(drvDir, { recursive: true });
    const temp = join(tmpDir, tempName('log-'));
    try {
      await pipelineAsync(Readable.from(log, { objectMode: false }), createGzip(), createWriteStream(temp));
      await rename(temp, join(drvDir, `${attempt}.gz`));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Compresses a live file into its `.gz` (unless a crash came after that) and removes it. */
  async function finishLeftover(drvPath: string, drvDir: string, attempt: number): Promise<void> {
    const live = join(drvDir, `${attempt}.live`);
    if (!(await exists(join(drvDir, `${attempt}.gz`)))) await write(drvPath, attempt, createReadStream(live));
    await rm(live, { force: true });
  }

  async function openLive(drvPath: string, attempt: number): Promise<LiveLog> {
    checkAttempt(attempt);
    const drvDir = dirOf(drvPath);
    await mkdir(drvDir, { recursive: true });
    const file = join(drvDir, `${attempt}.live`);
    if (writing.has(file)) {
      throw new StoreError(
        'TALLY_STORE_BAD_ARGUMENT',
        `attempt ${attempt} of ${drvPath} is already being logged`,
      );
    }
    for (const other of await attemptsIn(drvDir)) {
      if (!other.live || other.attempt === attempt || writing.has(join(drvDir, `${other.attempt}.live`)))
        continue;
      // Left by a crash; if it cannot be compressed now it stays readable as it is.
      await finishLeftover(drvPath, drvDir, other.attempt).catch(() => undefined);
    }
    const handle = await open(file, 'a');
    writing.add(file);
    let bytes = (await handle.stat()).size;
    let ended = false;
    let failure: unknown;
    // Writes are chained so chunks land in the order they were given; the first failure stops them.
    let queue: Promise<void> = Promise.resolve();
    const stop = async () => {
      ended = true;
      await queue;
      await handle.close().catch(() => undefined);
      writing.delete(file);
    };
    return {
      get bytes() {
        return bytes;
      },
      append(chunk) {
        if (ended || failure !== undefined || chunk.byteLength === 0) return;
        const copy = Uint8Array.from(chunk);
        bytes += copy.byteLength;
        queue = queue.then(() =>
          handle.write(copy).then(
            () => undefined,
            (error: unknown) => {
              failure = error;
            },
          ),
        );
      },
      async close() {
        if (ended)
          throw new StoreError('TALLY_STORE_BAD_ARGUMENT', `the log of ${drvPath} is already closed`);
        ended = true;
        await queue;
        try {
          if (failure !== undefined) throw failure;
          await write(drvPath, attempt, createReadStream(file));
          await rm(file, { force: true });
          return bytes;
        } finally {
          await handle.close().catch(() => undefined);
          writing.delete(file);
        }
      },
      abort: stop,
    };
  }

  /** Reads a live file to its end and, while this store writes it, as it grows. */
  async function* tail(handle: FileHandle, file: string, gz: string, pollMs: number) {
    const buffer = Buffer.alloc(64 * 1024);
    let position = 0;
    try {
      for (;;) {
        // Decided before reading: every write of a log lands before it is closed, so once it is,
        // reading to the end of the (possibly unlinked) file gets all of it.
        const ended = !writing.has(file) || (await exists(gz)) || !(await exists(file));
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          yield Buffer.from(buffer.subarray(0, bytesRead));
        }
        if (ended) return;
        await sleep(pollMs);
      }
    } finally {
      await handle.close();
    }
  }

  async function read(
    drvPath: string,
    attempt?: number,
    options: ReadLogOptions = {},
  ): Promise<StoredLog | undefined> {
    const drvDir = dirOf(drvPath);
    if (attempt !== undefined) checkAttempt(attempt);
    const chosen = attempt ?? Math.max(0, ...(await attemptsIn(drvDir)).map((found) => found.attempt));
    if (chosen === 0) return undefined;
    const gz = join(drvDir, `${chosen}.gz`);
    const live = join(drvDir, `${chosen}.live`);
    const finished = await openIfExists(gz);
    if (finished) return { attempt: chosen, stream: gunzipped(finished), live: false };
    const growing = await openIfExists(live);
    if (!growing) {
      // Closed between the two looks: its `.gz` is in place now.
      const late = await openIfExists(gz);
      return late && { attempt: chosen, stream: gunzipped(late), live: false };
    }
    const stream = options.follow
      ? Readable.from(tail(growing, live, gz, options.pollMs ?? 200), { objectMode: false })
      : growing.createReadStream();
    return { attempt: chosen, stream, live: true };
  }

  return { write, open: openLive, read };
}
