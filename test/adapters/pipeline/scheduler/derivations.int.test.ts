import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { derivationClosure } from '../../../../adapters/pipeline/scheduler/derivations.ts';
import { type Derivation, instantiateDerivation } from '../../../../domain/derivation/index.ts';
import { rejects, tempDir, withTimeout } from '../../../helpers/uvu.ts';

const test = suite('derivation closure');

/** Writes a derivation named `name` depending on `inputs` into `storeDir`; returns its path. */
function writer(storeDir: string) {
  const written = new Map<string, Derivation>();
  return async (name: string, inputs: readonly string[] = []) => {
    const made = instantiateDerivation(
      {
        env: new Map([
          ['name', name],
          ['system', 'x86_64-linux'],
          ['builder', '/bin/sh'],
        ]),
        args: ['-c', 'echo > $out'],
        inputDrvs: new Map(inputs.map((input) => [input, ['out']])),
      },
      { storeDir, readDerivation: (path) => written.get(path)!, memo: new Map() },
    );
    written.set(made.drvPath, made.drv);
    await writeFile(made.drvPath, made.text);
    return made.drvPath;
  };
}

test(
  'reads every derivation below the roots once, each after all of its inputs',
  withTimeout(20_000, async () => {
    const dir = await tempDir('tally-closure-');
    try {
      const storeDir = join(dir.path, 'store');
      await mkdir(storeDir);
      const write = writer(storeDir);
      // A diamond under two roots, a chain 200 deep, and a derivation nobody asks for.
      const base = await write('base');
      const left = await write('left', [base]);
      const right = await write('right', [base]);
      const top = await write('top', [left, right]);
      let chain = base;
      for (let i = 0; i < 200; i++) chain = await write(`chain-${i}`, [chain]);
      await write('unrelated');

      const closure = await derivationClosure([top, chain, top], 4);
      assert.is(closure.size, 4 + 200);
      const order = [...closure.keys()];
      for (const [path, drv] of closure)
        for (const input of drv.inputDrvs.keys())
          assert.ok(order.indexOf(input) < order.indexOf(path), `${input} before ${path}`);
      assert.is(closure.get(top)!.name, 'top');
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'a missing input derivation fails the walk, naming the file',
  withTimeout(10_000, async () => {
    const dir = await tempDir('tally-closure-');
    try {
      const storeDir = join(dir.path, 'store');
      await mkdir(storeDir);
      const write = writer(storeDir);
      const base = await write('base');
      const top = await write('top', [base]);
      await rm(base);
      await rejects(
        () => derivationClosure([top]),
        (error) => String(error).includes(base),
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
