/**
 * `format.json` pins the segment size of a data directory: positions are computed from it, so a
 * directory keeps the size it was created with whatever a later start is configured with.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LedgerStorageError } from '../storage.ts';
import { syncDirectorySync } from './sync-directory.ts';

const formatFileName = 'format.json';
const formatName = 'tally-ledger-log';

/** The default segment size: 256 MiB. */
export const defaultSegmentSize = 256 * 1024 * 1024;

/**
 * The segment size of `directory`: the recorded one, or for a new directory `requested` (or the
 * default), which gets recorded.
 */
export function settleSegmentSize(directory: string, requested: number | undefined, logger?: Logger): number {
  const path = join(directory, formatFileName);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    writeFileSync(
      `${path}.tmp`,
      `${JSON.stringify({ format: formatName, version: 1, segmentSize: requested ?? defaultSegmentSize })}\n`,
      {
        flush: true,
      },
    );
    renameSync(`${path}.tmp`, path);
    syncDirectorySync(directory);
    return requested ?? defaultSegmentSize;
  }
  const recorded = parsedFormat(text);
  if (recorded?.format !== formatName || !Number.isInteger(recorded.segmentSize)) {
    throw new LedgerStorageError(
      'TALLY_LEDGER_FORMAT',
      `${path} is not a Tally ledger format file: is --data the right directory? If it is, restore the file from a backup`,
    );
  }
  if (requested !== undefined && recorded.segmentSize !== requested) {
    logger?.warn(
      { directory, recorded: recorded.segmentSize, requested },
      'keeping the segment size the ledger directory was created with',
    );
  }
  return recorded.segmentSize!;
}

/** The format file's fields, or `undefined` when its text is not JSON. */
function parsedFormat(text: string): { format?: string; segmentSize?: number } | undefined {
  try {
    return (JSON.parse(text) as { format?: string; segmentSize?: number } | null) ?? undefined;
  } catch {
    return undefined;
  }
}
