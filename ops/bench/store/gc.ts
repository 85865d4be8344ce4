/**
 * Garbage collection over a file store of 100,000 valid paths (chains of ten references; the
 * roots keep every other chain, so 50,000 paths are garbage), in its own process against an
 * in-memory ledger: wall time of the collection (targets ≤ 10 s) and the process's peak RSS
 * (≤ 500 MiB). Baseline: `rm -f` (through `xargs`) of the very files the collection deletes — the
 * garbage paths' trees; their records and small NARs live in the valid-path log — in a copy of the
 * store, the floor any collector pays for unlinking.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLedger } from '../../../adapters/ledger/index.ts';
import { createSuiteRun } from '../harness/context.ts';
import { renderTable } from '../harness/report.ts';
import type { BenchContext, Figure } from '../harness/types.ts';
import { writeSyntheticStore } from './synthetic-store.ts';
import { run } from './tools.ts';

const count = 100_000;
const chain = 10;
const isRoot = (index: number) => index % (2 * chain) === chain - 1;
const isGarbage = (index: number) => index % (2 * chain) >= chain;

async function removeGarbageWithRm(dir: string, copy: string, files: string[]): Promise<Figure> {
  const list = join(dir, 'garbage-files');
  await writeFile(list, `${files.map((file) => file.replace(dir, copy)).join('\0')}\0`);
  const started = performance.now();
  const removed = await run('sh', ['-c', `xargs -0 rm -f < '${list}'`], 120_000);
  const seconds = (performance.now() - started) / 1000;
  if (removed.code !== 0) throw new Error(`rm failed: ${removed.stderr.slice(-300)}`);
  return { value: seconds, unit: 's' };
}

export async function measureGc(bench: BenchContext): Promise<void> {
  const dir = await bench.tempDir('gc');
  const storeDir = join(dir, 'nix', 'store');
  const stateDir = join(dir, 'state');
  bench.progress(`writing a file store of ${count} paths`);
  const paths = await writeSyntheticStore(
    storeDir,
    stateDir,
    Array.from({ length: count }, (_, index) => ({
      references: index % chain === 0 ? [] : [index - 1],
      registeredAt: 1_000 + index,
    })),
    (done) => bench.progress(`  ${done} paths written`),
  );
  const rootsFile = join(dir, 'roots');
  await writeFile(rootsFile, paths.filter((_, index) => isRoot(index)).join('\n'));

  const copy = join(dir, 'copy');
  bench.progress('copying the store for the rm baseline');
  await mkdir(copy);
  const copied = await run('cp', ['-a', join(dir, 'nix'), stateDir, `${copy}/`], 300_000);
  if (copied.code !== 0) throw new Error(`cp failed: ${copied.stderr.slice(-300)}`);
  const garbageFiles: string[] = [];
  for (const [index, path] of paths.entries()) if (isGarbage(index)) garbageFiles.push(path);
  // Both sides start from a clean page cache state: the writes of the setup are flushed first, or
  // the collection's fsyncs would pay for them.
  await run('sync', [], 300_000);
  const rm = await bench.baseline(
    `rm -f of the same ${garbageFiles.length} files`,
    () => removeGarbageWithRm(dir, copy, garbageFiles),
    'rm of the garbage files in a copy',
  );

  await run('sync', [], 300_000);
  const ledger = await startLedger({ memory: true, port: 0 });
  bench.defer(() => ledger.close());
  const result = await new Promise<{
    seconds: number;
    paths: number;
    peakRss: number;
    valid: number;
    chunks: number;
  }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        // e.g. TALLY_BENCH_GC_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the collection
        ...(process.env.TALLY_BENCH_GC_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        new URL('./gc-child.ts', import.meta.url).pathname,
        storeDir,
        stateDir,
        join(dir, 'gcdir'),
        ledger.url,
        rootsFile,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the collection exited with ${code}`));
      else resolve(JSON.parse(out));
    });
  });
  // The harness bounds each cleanup step to seconds; 300,000 files take longer, so go now.
  await run('rm', ['-rf', copy, join(dir, 'nix'), stateDir], 300_000);
  if (result.paths !== count / 2) throw new Error(`collected ${result.paths} paths, expected ${count / 2}`);
  const note = `${result.valid} valid, ${result.paths} collected (closure marking, ordering, ${result.chunks} chunks appended to the ledger)`;
  bench.record({
    name: `GC of ${count / 2} garbage paths in a store of ${count}: time`,
    outcome: result.seconds <= 10 ? 'PASS' : 'MISS',
    figure: { value: result.seconds, unit: 's' },
    target: { comparison: 'at-most', value: 10, unit: 's' },
    baselines: [rm],
    note,
  });
  const mib = result.peakRss / 2 ** 20;
  bench.record({
    name: `GC of ${count / 2} garbage paths in a store of ${count}: peak RSS`,
    outcome: mib <= 500 ? 'PASS' : 'MISS',
    figure: { value: mib, unit: 'MiB' },
    target: { comparison: 'at-most', value: 500, unit: 'MiB' },
    baselines: [],
    note: 'maxRSS of the collecting process (node + tsx included)',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = createSuiteRun('store');
  try {
    await measureGc(run.context);
  } finally {
    await run.cleanup();
  }
  console.log(renderTable('store (GC row only)', run.results));
  process.exitCode = run.crashed() ? 1 : 0;
}
