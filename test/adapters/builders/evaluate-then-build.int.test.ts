/**
 * The two halves together, with no nix: the native evaluator turns the fixture jobset into
 * derivations for a temporary store, the test puts the .drv files and sources there (the store's
 * job later), and the native builder realises every job in order.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BuiltOutput } from '../../../adapters/builders/builder.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import { createNativeEvaluator } from '../../../adapters/evaluators/native/native-evaluator.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { generousLimits, readDrv } from './derivations.ts';

const fixture = new URL('../../fixtures/jobsets/graph', import.meta.url).pathname;
const pipeline = suite('evaluating then building natively');

pipeline(
  'builds every job of the fixture in a temporary store and finds the references between them',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-eval-build-');
    try {
      const store = join(dir.path, 'store');
      const result = await createNativeEvaluator().evaluate({
        checkoutDir: fixture,
        entry: 'tally.jobs.json',
        storeDir: store,
        systems: ['x86_64-linux'],
        limits: { timeoutMs: 20_000, memoryBytes: 256 << 20, outputBytes: 1 << 20 },
      });
      if (!result.ok) throw new Error(result.message);
      await mkdir(store, { recursive: true });
      for (const [path, bytes] of result.drvFiles) writeFileSync(path, bytes);
      for (const [path, from] of result.sources) cpSync(from, path, { recursive: true });
      const built = new Map<string, readonly BuiltOutput[]>();
      for (const job of result.jobs) {
        const drv = readDrv(job.drvPath, result.drvFiles.get(job.drvPath)!);
        const outcome = await createNativeBuilder().build({
          drvPath: job.drvPath,
          drv,
          storeDir: store,
          limits: generousLimits,
        });
        if (!outcome.ok) throw new Error(`${job.name}: ${JSON.stringify(outcome)}`);
        built.set(job.name, outcome.outputs);
      }
      const hello = result.jobs.find((job) => job.name === 'hello')!;
      const greeting = result.jobs.find((job) => job.name === 'greeting')!;
      const tree = result.jobs.find((job) => job.name === 'tree')!;
      assert.is(readFileSync(greeting.outputs.out!, 'utf8'), 'Hello, world\n');
      assert.is(
        readFileSync(hello.outputs.out!, 'utf8'),
        `uses ${greeting.outputs.out}\n${tree.outputs.dev}\n`,
      );
      assert.equal(built.get('hello')![0]!.references, [greeting.outputs.out!, tree.outputs.dev!].sort());
      assert.is(readFileSync(join(tree.outputs.out!, 'share/hello.txt'), 'utf8'), 'Hello\n');
    } finally {
      await dir.cleanup();
    }
  }),
);

pipeline.run();
