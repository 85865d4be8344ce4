/**
 * NAR serialization of a 1 GiB tree of 50,000 files: Tally's serializer (`dumpPath`, chunks thrown
 * away) against `nix-store --dump … > /dev/null` on the same tree in the same run, each the best of
 * two after the tree was just written (so both read from the page cache). Target: Tally's time within
 * 1.5× of Nix's.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeSpaceOf } from '../../../adapters/gc/periodic.ts';
import { dumpPath } from '../../../adapters/store/nar-fs.ts';
import type { BenchContext } from '../harness/types.ts';
import { which } from './tools.ts';

const files = 50_000;
const totalBytes = 1024 ** 3;
const perDirectory = 200;

function writeTree(root: string): void {
  const pool = randomBytes(4 << 20);
  const size = Math.floor(totalBytes / files);
  for (let index = 0; index < files; index++) {
    const dir = join(root, `d${Math.floor(index / perDirectory)}`);
    if (index % perDirectory === 0) mkdirSync(dir, { recursive: true });
    const offset = (index * 7919) % (pool.length - size);
    writeFileSync(join(dir, `f${index}`), pool.subarray(offset, offset + size));
  }
}

async function timeTally(root: string): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of dumpPath(root)) bytes += chunk.length;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function timeNix(root: string): Promise<number> {
  const sink = openSync('/dev/null', 'w');
  try {
    const started = performance.now();
    const child = spawn('nix-store', ['--dump', root], { stdio: ['ignore', sink, 'inherit'] });
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`nix-store --dump exited with ${code}`);
    return (performance.now() - started) / 1000;
  } finally {
    closeSync(sink);
  }
}

export async function measureNarDump(bench: BenchContext): Promise<void> {
  const name = 'NAR serialization, 1 GiB in 50,000 files (Tally / nix-store --dump time)';
  const target = { comparison: 'at-most', value: 1.5, unit: '×' } as const;
  if (!(await which('nix-store'))) {
    bench.record({
      name,
      outcome: 'INFO',
      target,
      baselines: [],
      note: 'skipped: nix-store is not installed',
    });
    return;
  }
  const dir = await bench.tempDir('nar-dump');
  const free = (await freeSpaceOf(dir)).freeBytes;
  if (free < totalBytes * 2) {
    bench.record({
      name,
      outcome: 'INFO',
      target,
      baselines: [],
      note: `skipped: only ${free >> 20} MiB free in ${dir}`,
    });
    return;
  }
  const root = join(dir, 'tree');
  bench.progress(`writing ${files} files (${totalBytes >> 20} MiB) in ${root}`);
  writeTree(root);
  let nixSeconds = Number.POSITIVE_INFINITY;
  const nix = await bench.baseline(
    'nix-store --dump',
    async () => {
      for (let run = 0; run < 2; run++) nixSeconds = Math.min(nixSeconds, await timeNix(root));
      return { value: totalBytes / 2 ** 20 / nixSeconds, unit: 'MiB/s' };
    },
    'nix-store --dump of the tree',
  );
  await bench.measure({ name, target, baselines: [nix] }, async () => {
    if (!Number.isFinite(nixSeconds)) throw new Error('the nix-store baseline did not run');
    let best = { seconds: Number.POSITIVE_INFINITY, bytes: 0 };
    for (let run = 0; run < 2; run++) {
      const result = await timeTally(root);
      if (result.seconds < best.seconds) best = result;
    }
    return {
      figure: { value: best.seconds / nixSeconds, unit: '×' },
      note: `Tally ${best.seconds.toFixed(2)} s (${(best.bytes / 2 ** 20 / best.seconds).toFixed(0)} MiB/s), nix ${nixSeconds.toFixed(2)} s; NAR ${best.bytes} bytes; best of 2 each, tree in the page cache`,
      details: { tallySeconds: best.seconds, nixSeconds, narBytes: best.bytes },
    };
  });
}
