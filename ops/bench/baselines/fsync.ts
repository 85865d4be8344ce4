/**
 * The disk's sync rate: small appends each followed by fdatasync, in one thread, for a fixed time.
 * Without group commit no durable store can acknowledge single appends faster than this, so it is the
 * yardstick for the single-append figures.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from '../harness/types.ts';

export function measureFsyncRate(dir: string, durationMs = 2_000): Figure {
  const path = join(dir, 'fsync-probe');
  const fd = openSync(path, 'a');
  // A record about the size of one event with its framing.
  const record = Buffer.alloc(256, 0x2a);
  try {
    let syncs = 0;
    const started = performance.now();
    while (performance.now() - started < durationMs) {
      writeSync(fd, record);
      fdatasyncSync(fd);
      syncs++;
    }
    return { value: syncs / ((performance.now() - started) / 1000), unit: 'syncs/s' };
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}
