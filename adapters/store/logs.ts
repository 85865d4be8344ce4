/**
 * Build logs, one gzip file per attempt: `<state>/logs/<drv basename>/<attempt>.gz`. gzip rather
 * than zstd because node:zlib streams it natively both ways and HTTP clients decode it; logs are
 * text and small next to NARs. Written atomically: a reader never sees half a log.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { tempName } from './atomic.ts';
import { StoreError } from './errors.ts';
import { checkStorePath } from './store-paths.ts';

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
      .map((name) => /^([1-9][0-9]*)\.gz$/.exec(name)?.[1])
      .filter((n) => n !== undefined);
    return attempts.length === 0 ? undefined : Math.max(...attempts.map(Number));
  }

  return {
    async write(drvPath: string, attempt: number, log: AsyncIterable<Uint8Array>): Promise<void> {
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
    },
    async read(
      drvPath: string,
      attempt?: number,
    ): Promise<{ attempt: number; stream: Readable } | undefined> {
      const drvDir = dirOf(drvPath);
      if (attempt !== undefined) checkAttempt(attempt);
      const chosen = attempt ?? (await latest(drvDir));
      if (chosen === undefined) return undefined;
      const file = createReadStream(join(drvDir, `${chosen}.gz`));
      try {
        await new Promise<void>((resolve, reject) =>
          file.once('open', () => resolve()).once('error', reject),
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const gunzip = createGunzip();
      file.on('error', (error) => gunzip.destroy(error)).pipe(gunzip);
      return { attempt: chosen, stream: gunzip };
    },
  };
}
