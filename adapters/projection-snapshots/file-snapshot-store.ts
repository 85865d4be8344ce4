/**
 * Projection snapshots as one file per projection in `<data>/projections/`: `<name>.jsonl`, a header
 * line, the state's records (`snapshot-records.ts`) and a trailer line that counts them and holds the
 * SHA-256 of every line before it. Each save writes a temporary file, syncs it and renames it over the
 * old one, so a crash leaves either snapshot whole; a file without its trailer, one whose content does
 * not match its hash, or any unreadable file, is treated as no snapshot: the projection is rebuilt from
 * the events. Temporary files a crash left behind are removed at the next save.
 *
 * Loading and saving run a record at a time with the thread free in between: a server answers requests
 * (and folds events) while a snapshot of hundreds of megabytes is read or written.
 *
 * The earlier format, one JSON text per projection in `<name>.json`, is still read when no `.jsonl`
 * file exists, and removed once the projection's next snapshot is saved.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LoadOptions, Snapshot, SnapshotStore } from '../../projections/runtime/snapshot-store.ts';
import { isProcessRunning } from '../processes/process-start.ts';
import { readLines } from './read-lines.ts';
import { createStateDecoder, encodeStateRecords } from './snapshot-records.ts';

const safeName = /^[A-Za-z0-9_-]+$/;
const format = 'tally-projection-snapshot';
const formatVersion = 1;
/** How much text is gathered before one write: few system calls, a bounded buffer. */
const writeChunk = 1024 * 1024;
/** How much is read at once: each chunk's records are decoded before the thread is given back. */
const readChunk = 256 * 1024;

interface Header {
  readonly format: typeof format;
  readonly formatVersion: number;
  readonly projection: string;
  readonly version: number;
  readonly position: number;
  /** Which event store the state was folded from (`Snapshot.store`). */
  readonly store?: string;
}

export function createFileSnapshotStore(directory: string, logger: Logger): SnapshotStore {
  const pathOf = (projection: string, extension: 'jsonl' | 'json') => {
    if (!safeName.test(projection))
      throw new Error(`projection name ${JSON.stringify(projection)} is not a safe file name`);
    return join(directory, `${projection}.${extension}`);
  };
  const unreadable = (projection: string, error: unknown, options: LoadOptions) => {
    if (options.unreadable === 'throw') {
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`the snapshot of ${projection} in ${directory} cannot be read: ${why}`);
    }
    logger.warn(
      { projection, err: error },
      'ignoring an unreadable projection snapshot: rebuilding from the events',
    );
    return undefined;
  };
  let cleaned: Promise<void> | undefined;
  /** Temporary files of saves that a crash cut short: each is a whole snapshot's size. */
  async function removeLeftovers(): Promise<void> {
    for (const name of await readdir(directory)) {
      const pid = /\.jsonl\.(\d+)\.tmp$/.exec(name)?.[1];
      if (pid !== undefined && Number(pid) !== process.pid && !isProcessRunning(Number(pid)))
        await rm(join(directory, name), { force: true });
    }
  }

  return {
    async load(projection, options = {}) {
      const path = pathOf(projection, 'jsonl');
      const lines = readLines(createReadStream(path, { highWaterMark: readChunk }));
      try {
        const first = await lines.next();
        if (first.done) throw new Error('an empty snapshot file');
        return await readRecords(projection, first.value, lines, options.shareStrings === true);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return loadEarlierFormat(projection, options);
        return unreadable(projection, error, options);
      } finally {
        await lines.return(undefined);
      }
    },
    async save(snapshot) {
      await mkdir(directory, { recursive: true });
      cleaned ??= removeLeftovers().catch((error: unknown) =>
        logger.warn({ err: error, directory }, 'could not remove the temporary files of earlier saves'),
      );
      await cleaned;
      const target = pathOf(snapshot.projection, 'jsonl');
      const temporary = `${target}.${process.pid}.tmp`;
      const file = await open(temporary, 'w');
      try {
        const header: Header = {
          format,
          formatVersion,
          projection: snapshot.projection,
          version: snapshot.version,
          position: snapshot.position,
          ...(snapshot.store === undefined ? {} : { store: snapshot.store }),
        };
        const hash = createHash('sha256');
        let pending = `${JSON.stringify(header)}\n`;
        let records = 0;
        for (const record of encodeStateRecords(snapshot.state)) {
          pending += `${record}\n`;
          records += 1;
          if (pending.length >= writeChunk) {
            hash.update(pending);
            await file.write(pending);
            pending = '';
          }
        }
        hash.update(pending);
        await file.write(`${pending}${JSON.stringify({ records, sha256: hash.digest('hex') })}\n`);
        await file.sync();
      } catch (error) {
        await file.close();
        await rm(temporary, { force: true });
        throw error;
      }
      await file.close();
      await rename(temporary, target);
      await rm(pathOf(snapshot.projection, 'json'), { force: true });
    },
  };

  async function readRecords(
    projection: string,
    headerLine: string,
    lines: AsyncGenerator<string>,
    shareStrings: boolean,
  ): Promise<Snapshot> {
    const header = JSON.parse(headerLine) as Partial<Header>;
    if (header.format !== format || header.formatVersion !== formatVersion)
      throw new Error(`not a snapshot of format ${format} ${formatVersion}`);
    if (header.projection !== projection || typeof header.position !== 'number')
      throw new Error('wrong header');
    const decoder = createStateDecoder({ shareStrings });
    const hash = createHash('sha256').update(`${headerLine}\n`);
    let records = 0;
    for await (const line of lines) {
      if (line.startsWith('{')) {
        const trailer = JSON.parse(line) as { records?: unknown; sha256?: unknown };
        if (trailer.records !== records) throw new Error('the trailer counts other records');
        // Snapshots saved before the hash was kept have none; any other is checked.
        if (trailer.sha256 !== undefined && trailer.sha256 !== hash.digest('hex'))
          throw new Error('the content does not match the hash in its trailer (changed or damaged)');
        return {
          projection,
          version: header.version as number,
          position: header.position,
          ...(typeof header.store === 'string' ? { store: header.store } : {}),
          state: decoder.result(),
        };
      }
      hash.update(`${line}\n`);
      decoder.push(line);
      records += 1;
    }
    throw new Error('the snapshot ends before its trailer (cut short)');
  }

  /** A snapshot written as one JSON text by earlier versions. */
  async function loadEarlierFormat(projection: string, options: LoadOptions): Promise<Snapshot | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(pathOf(projection, 'json'));
    } catch {
      return undefined;
    }
    try {
      const snapshot = JSON.parse(bytes.toString('utf8')) as Snapshot;
      if (snapshot.projection !== projection || typeof snapshot.position !== 'number')
        throw new Error('wrong shape');
      return snapshot;
    } catch (error) {
      return unreadable(projection, error, options);
    }
  }
}
