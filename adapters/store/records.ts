/**
 * The record of a valid path (what the valid-path log keeps of it), checked as it is read: a record
 * that does not parse is reported, never taken for a valid path. And the move of the records of an
 * older store layout into the log.
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { StoreError } from './errors.ts';
import type { ValidPathInfo } from './store.ts';
import type { ValidLog } from './valid-log.ts';
import { encodeAdd } from './valid-log-format.ts';

const isString = (value: unknown): value is string => typeof value === 'string';
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isSize = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function checkRecord(value: unknown, file: string): ValidPathInfo {
  const record = value as Partial<Record<keyof ValidPathInfo, unknown>> | null;
  const compressed = record?.file as Record<string, unknown> | undefined;
  const ok =
    record !== null &&
    typeof record === 'object' &&
    isString(record.path) &&
    isString(record.narHash) &&
    isSize(record.narSize) &&
    isStrings(record.references) &&
    isStrings(record.sigs) &&
    (record.deriver === undefined || isString(record.deriver)) &&
    (record.ca === undefined || isString(record.ca)) &&
    isSize(record.registeredAt) &&
    compressed?.compression === 'zstd' &&
    isString(compressed.fileHash) &&
    isSize(compressed.fileSize);
  if (!ok) throw new StoreError('TALLY_STORE_CORRUPT_RECORD', `${file} is not a valid path record`);
  return record as ValidPathInfo;
}

/** The record in `text`, read from `file`; `TALLY_STORE_CORRUPT_RECORD` when it is not one. */
export function parseRecord(text: string, file: string): ValidPathInfo {
  try {
    return checkRecord(JSON.parse(text), file);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError('TALLY_STORE_CORRUPT_RECORD', `${file} is not JSON`);
  }
}

/**
 * Moves the records of a store written by an earlier version of Tally (one JSON file per path in
 * `<state>/valid/`, a hard link per path in `<state>/nar-of/`) into the valid-path log, then deletes
 * them. Their NARs stay where they are, as files of their own. Safe to run again after a crash: a
 * path already in the log is not added twice, and the old files go only once the log has them all.
 */
export async function migrateRecordFiles(validDir: string, narOfDir: string, log: ValidLog): Promise<number> {
  const names = await readdir(validDir).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
  if (names === undefined) return 0;
  let moved = 0;
  await log.locked(async () => {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const file = join(validDir, name);
      const record = parseRecord(readFileSync(file, 'utf8'), file);
      const baseName = basename(record.path);
      if (log.lookup(baseName.slice(0, 32))) continue;
      const entry = encodeAdd(baseName, record.file.fileHash.replace(/^sha256:/, ''), JSON.stringify(record));
      batch.push(entry);
      batchBytes += entry.length;
      moved++;
      if (batchBytes > 8 * 1024 * 1024) {
        await log.append(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) await log.append(Buffer.concat(batch));
  });
  await rm(narOfDir, { recursive: true, force: true });
  await rm(validDir, { recursive: true, force: true });
  return moved;
}
