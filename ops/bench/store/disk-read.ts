/**
 * The baselines for NAR downloads: `dd` reading the same file to /dev/null, in MB/s, from the page
 * cache or (`direct`) from the disk itself with O_DIRECT.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Figure } from '../harness/types.ts';

const run = promisify(execFile);

export async function measureDiskRead(file: string, direct = false): Promise<Figure> {
  const { size } = await stat(file);
  const started = performance.now();
  await run('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', ...(direct ? ['iflag=direct'] : [])]);
  const seconds = (performance.now() - started) / 1000;
  return { value: size / 1e6 / seconds, unit: 'MB/s' };
}
