/**
 * Build logs, one gzip file per attempt: `<state>/logs/<drv basename>/<attempt>.gz`. gzip rather
 * than zstd because node:zlib streams it natively both ways and HTTP clients decode it; logs are
 * text and small next to NARs. Written atomically: a reader never sees half a log.
 *
 * While a build runs its log grows in plain `<attempt>.live` beside them, so it can be read during
 * the build; finishing the attempt compresses it into `<attempt>.gz` and removes the live file. A
 * live file left by a crash stays readable as the attempt's log.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { appendFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { tempName } from './atomic.ts';
import { StoreError } from './errors.ts';
import { checkStorePath } from './store-paths.ts';

/** A log being written while its build runs. */
export interface LiveLog {
  /** Appends a chunk; readers of the live file see it once written. */
  append(chunk: Uint8Array): void;
  /** Compresses the whole log into place and removes the live file; resolves with its size. */
  finish(): Promise<number>;
}

/** An attempt's log for reading; `live` while its build still writes it (or a crash left it so). */
export interface StoredLog {
  readonly attempt: number;
  readonly stream: Readable;
  readonly live: boolean;
}

function checkAttempt(attempt: number): void {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new StoreError('TALLY_STORE_BAD_ARGUMENT', `a build attempt is a positive integer, not ${attempt}`);
  }
}

export function createLogs(dir: string, tmpDir: string, storeDir: string) {
  const dirOf = (drvPath: string) => {
    const { baseName } = checkStorePath(storeDir, drvPath);
    if (!baseName.endsWith('.drv')) {
      throw new StoreError('TALLY_STORE_BAD_PATH', `'${drvPath}' is not a derivation (.drv) path`);
    }
    return join(dir, baseName);
  };

  async function latest(drvDir: string): Promise<number | undefined> {
    const names = await readdir(drvDir).catch(() => [] as string[]);
    const attempts = names
      .map((name) => /^([1-9][0-9]*)\.(gz|live)$/.exec(name)?.[1])
      .filter((n) => n !== undefined);
    return attempts.length === 0 ? undefined : Math.max(...attempts.map(Number));
  }

  async function write(drvPath: string, attempt: number, log: AsyncIterable<Uint8Array>): Promise<void> {
    checkAttempt(attempt);
    const drvDir = dirOf(drvPath);
    await mkdir(drvDir, { recursive: true });
    const temp = join(tmpDir, tempName('log-'));
    try {
      await pipeline(Readable.from(log, { objectMode: false }), createGzip(), createWriteStream(temp));
      await rename(temp, join(drvDir, `${attempt}.gz`));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  return {
    write,
    /** A log written as it comes: appended to `<attempt>.live`, compressed into place by `finish`. */
    async open(drvPath: string, attempt: number): Promise<LiveLog> {
      checkAttempt(attempt);
      const drvDir = dirOf(drvPath);
      await mkdir(drvDir, { recursive: true });
      const file = join(drvDir, `${attempt}.live`);
      await appendFile(file, new Uint8Array(0));
      let bytes = 0;
      // Appends are chained so chunks land in the order they were given.
      let writing: Promise<void> = Promise.resolve();
      return {
        append(chunk) {
          bytes += chunk.byteLength;
          writing = writing.then(() => appendFile(file, chunk));
        },
        async finish() {
          await writing;
          await write(drvPath, attempt, createReadStream(file));
          await rm(file, { force: true });
          return bytes;
        },
      };
    },
    async read(drvPath: string, attempt?: number): Promise<StoredLog | undefined> {
      const drvDir = dirOf(drvPath);
      if (attempt !== undefined) checkAttempt(attempt);
      const chosen = attempt ?? (await latest(drvDir));
      if (chosen === undefined) return undefined;
      const finished = await openStream(join(drvDir, `${chosen}.gz`));
      if (!finished) {
        const growing = await openStream(join(drvDir, `${chosen}.live`));
        return growing && { attempt: chosen, stream: growing, live: true };
      }
      const gunzip = createGunzip();
      finished.on('error', (error) => gunzip.destroy(error)).pipe(gunzip);
      return { attempt: chosen, stream: gunzip, live: false };
    },
  };
}

/** A readable file, or undefined when it does not exist. */
async function openStream(path: string): Promise<Readable | undefined> {
  const file = createReadStream(path);
  try {
    await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return file;
}
