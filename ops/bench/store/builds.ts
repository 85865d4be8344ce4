/**
 * 500 trivial derivations (`/bin/sh -c 'echo i > $out'`, no inputs) realised two at a time:
 * Tally's native builder, each output then registered in a file store (hashed, zstd-compressed,
 * recorded), against `nix-store --realise --max-jobs 2` of the same derivations, which likewise
 * builds and registers (hash, references, its SQLite database). Target: native at least 2× faster.
 *
 * Where: Nix builds in the real `/nix/store` (a `--store` chroot store cannot build without a sandbox,
 * which is off here) with a fresh name seed per run, so nothing is already built, and the paths are
 * deleted afterwards with `nix-store --delete`; the native builder builds the same attributes
 * instantiated for a temporary store directory, so nothing Nix does not know lands in `/nix/store`.
 * The store directory is part of the hash only: the builds do the same work. Instantiation (writing
 * the `.drv` files) is outside both timings.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNativeBuilder, hostSystem } from '../../../adapters/builders/native/native-builder.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import { instantiateDerivation } from '../../../domain/derivation/index.ts';
import type { BenchContext } from '../harness/types.ts';
import { run, which } from './tools.ts';

const count = 500;
const jobs = 2;
const limits = { timeoutMs: 60_000, maxSilentMs: 60_000, maxLogBytes: 1 << 20 };

const script = (index: number) => `echo ${index} > $out`;

async function realiseWithNix(bench: BenchContext, dir: string, seed: string): Promise<number> {
  const expression = join(dir, 'trivial.nix');
  await writeFile(
    expression,
    `builtins.genList (i: builtins.derivation {
      name = "tally-bench-${seed}-\${toString i}";
      system = "${hostSystem()}";
      builder = "/bin/sh";
      args = [ "-c" "echo \${toString i} > $out" ];
    }) ${count}\n`,
  );
  const instantiated = await run('nix-instantiate', [expression], 120_000);
  if (instantiated.code !== 0) throw new Error(`nix-instantiate failed: ${instantiated.stderr.slice(-500)}`);
  const drvs = instantiated.stdout.split('\n').filter((line) => line.endsWith('.drv'));
  if (drvs.length !== count) throw new Error(`nix-instantiate gave ${drvs.length} derivations, not ${count}`);
  bench.defer(async () => {
    const outputs = await run('nix-store', ['--query', '--outputs', ...drvs], 60_000);
    const paths = outputs.stdout.split('\n').filter((line) => line !== '');
    await run('nix-store', ['--delete', ...paths, ...drvs], 120_000);
  });
  const started = performance.now();
  const realised = await run(
    'nix-store',
    ['--realise', '--max-jobs', String(jobs), '--quiet', ...drvs],
    300_000,
  );
  const seconds = (performance.now() - started) / 1000;
  if (realised.code !== 0) throw new Error(`nix-store --realise failed: ${realised.stderr.slice(-500)}`);
  return seconds;
}

async function realiseNatively(dir: string, seed: string): Promise<number> {
  const storeDir = join(dir, 'nix', 'store');
  const store = await openFileStore({ storeDir, stateDir: join(dir, 'state') });
  const builder = createNativeBuilder({ cores: 1, buildRoot: dir });
  const derivations = Array.from({ length: count }, (_, index) =>
    instantiateDerivation(
      {
        env: new Map([
          ['name', `tally-bench-${seed}-${index}`],
          ['system', hostSystem()],
          ['builder', '/bin/sh'],
        ]),
        args: ['-c', script(index)],
      },
      {
        storeDir,
        readDerivation: () => {
          throw new Error('no inputs');
        },
      },
    ),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < derivations.length) {
        const { drv, drvPath } = derivations[next++]!;
        const result = await builder.build({ drvPath, drv, storeDir, limits });
        if (!result.ok) throw new Error(`${drvPath}: ${result.reason} ${JSON.stringify(result)}`);
        for (const output of result.outputs) {
          await store.addFromDirectory({
            path: output.path,
            references: output.references,
            deriver: drvPath,
          });
        }
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

export async function measureBuilds(bench: BenchContext): Promise<void> {
  const name = `${count} trivial derivations, ${jobs} at a time (nix-store --realise / native time)`;
  const target = { comparison: 'at-least', value: 2, unit: '×' } as const;
  if (!(await which('nix-store')) || !(await which('nix-instantiate'))) {
    bench.record({ name, outcome: 'INFO', target, baselines: [], note: 'skipped: nix is not installed' });
    return;
  }
  const dir = await bench.tempDir('builds');
  const seed = randomBytes(4).toString('hex');
  let nixSeconds = Number.NaN;
  const nix = await bench.baseline(
    `nix-store --realise --max-jobs ${jobs}`,
    async () => {
      nixSeconds = await realiseWithNix(bench, dir, seed);
      return { value: count / nixSeconds, unit: 'drv/s' };
    },
    `realising ${count} derivations with nix`,
  );
  await bench.measure({ name, target, baselines: [nix] }, async () => {
    if (!Number.isFinite(nixSeconds)) throw new Error('the nix baseline did not run');
    const seconds = await realiseNatively(dir, seed);
    return {
      figure: { value: nixSeconds / seconds, unit: '×' },
      note: `native ${seconds.toFixed(2)} s (${(count / seconds).toFixed(0)} drv/s, built and registered in a file store), nix ${nixSeconds.toFixed(2)} s`,
      details: { nativeSeconds: seconds, nixSeconds },
    };
  });
}
