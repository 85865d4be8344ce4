/**
 * NAR serialization of a 1 GiB tree of 50,000 files: Tally's serializer (`dumpPath`, chunks thrown
 * away) against `nix-store --dump … > /dev/null` on the same tree in the same run, each the best of
 * two after the tree was just written (so both read from the page cache). Target: Tally's time within
 * 1.5× of Nix's.
 *
 * `TALLY_BENCH_NAR_SCALE=0.1` scales the tree down (files and bytes alike, the file size unchanged;
 * 0.001 to 1, default 1). Run this row alone, without the rest of the store suite, with
 * `npx tsx ops/bench/store/nar-dump.ts`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freeSpaceOf } from '../../../adapters/gc/periodic.ts';
import { dumpPath } from '../../../adapters/store/nar-fs.ts';
import { createSuiteRun } from '../harness/context.ts';
import { renderTable } from '../harness/report.ts';
import type { BenchContext } from '../harness/types.ts';
import { which } from './tools.ts';

const scale = Math.min(1, Math.max(0.001, Number(process.env.TALLY_BENCH_NAR_SCALE ?? 1) || 1));
const files = Math.round(50_000 * scale);
const totalBytes = Math.round(1024 ** 3 * scale);
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
  const size = scale === 1 ? '1 GiB' : `${(totalBytes / 2 ** 20).toFixed(0)} MiB`;
  const name = `NAR serialization, ${size} in ${files.toLocaleString('en')} files (Tally / nix-store --dump time)`;
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = createSuiteRun('store');
  try {
    await measureNarDump(run.context);
  } finally {
    await run.cleanup();
  }
  console.log(renderTable('store (NAR row only)', run.results));
  process.exitCode = run.crashed() ? 1 : 0;
}
