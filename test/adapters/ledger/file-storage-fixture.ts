/**
 * Helpers for the file backend's tests: a pino logger that keeps what it logs, and directory
 * copies that stand for the disk as a crash left it.
 */
import { copyFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';

/** One logged line, parsed. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A logger whose lines land in `lines`. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

/** Lines logged at warning level. */
export const warnings = (lines: readonly LogLine[]): LogLine[] => lines.filter((line) => line.level === 40);

/** Copies the log files of `from` into `to` (not the lock: the copy is another, stopped ledger's disk). */
export async function copyLog(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    if (name !== 'lock' && !name.endsWith('.tmp')) await copyFile(join(from, name), join(to, name));
  }
}

/** Removes the index snapshot, as if the ledger had crashed before writing one. */
export async function dropSnapshot(directory: string): Promise<void> {
  await unlink(join(directory, 'index.snapshot'));
}
