import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { inPieces, sampleNar, writeSampleTree } from './store-fixtures.ts';

const run = promisify(execFile);
const bin = new URL('../../../ops/cli/bin.js', import.meta.url).pathname;

async function verify(data: string): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [bin, 'store', 'verify', '--data', data]);
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

const cli = suite('tally store verify');

cli(
  'exits 0 for an intact store and 1 naming each path whose content changed',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-verify-cli-');
    try {
      const data = join(dir.path, 'data');
      const storeDir = join(data, 'nix', 'store');
      const store = await openFileStore({ storeDir, stateDir: join(data, 'store') });
      const paths: string[] = [];
      for (const name of ['one', 'two', 'three']) {
        await writeSampleTree(join(dir.path, name), name);
        const sample = await sampleNar(join(dir.path, name), name, storeDir);
        await store.importNar(inPieces(sample.nar), sample);
        paths.push(sample.path);
      }
      const intact = await verify(data);
      assert.is(intact.code, 0, intact.stderr);
      assert.match(intact.stderr, /3 paths checked, 0 bad/);
      for (const path of [paths[0]!, paths[2]!]) {
        await chmod(join(path, 'README'), 0o644);
        await writeFile(join(path, 'README'), 'changed\n');
      }
      const damaged = await verify(data);
      assert.is(damaged.code, 1);
      assert.ok(damaged.stderr.includes(`${paths[0]}:`));
      assert.ok(damaged.stderr.includes(`${paths[2]}:`));
      assert.not.ok(damaged.stderr.includes(`${paths[1]}:`));
      assert.match(damaged.stderr, /3 paths checked, 2 bad/);
    } finally {
      await dir.cleanup();
    }
  }),
);

cli.run();
