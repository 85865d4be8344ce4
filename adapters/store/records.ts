/**
 * The records of valid paths: one JSON file per path, `<state>/valid/<hashPart>.json`, written
 * atomically and last, so its presence is what makes a path valid. A record that does not parse is
 * reported, never taken for a valid path.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { StoreError } from './errors.ts';
import type { ValidPathInfo } from './store.ts';

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

/** Reads and writes the records under `dir`, with temporary files in `tmpDir`. */
export function createRecords(dir: string, tmpDir: string) {
  const fileOf = (hashPart: string) => join(dir, `${hashPart}.json`);

  async function read(hashPart: string): Promise<ValidPathInfo | undefined> {
    let text: string;
    try {
      text = await readFile(fileOf(hashPart), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseRecord(text, fileOf(hashPart));
  }

  return {
    file: fileOf,
    read,
    write: (hashPart: string, info: ValidPathInfo) =>
      writeFileAtomic(fileOf(hashPart), `${JSON.stringify(info)}\n`, tmpDir),
    /** Hash parts of every record, in directory order. */
    async *hashParts(): AsyncGenerator<string> {
      for (const name of await readdir(dir)) if (name.endsWith('.json')) yield name.slice(0, -5);
    },
  };
}

export type Records = ReturnType<typeof createRecords>;
