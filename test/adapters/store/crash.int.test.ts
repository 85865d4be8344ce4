import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import { verifyStore } from '../../../adapters/store/verify.ts';
import { printNarHash } from '../../../domain/derivation/index.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { createStoreFixture, inPieces, sampleNar } from './store-fixtures.ts';

const child = new URL('./crash-child.ts', import.meta.url).pathname;

/** Runs the importing child and SIGKILLs it when it announces chunk `killAt`; resolves how it ended. */
function importAndKill(args: string[], killAt: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    proc.stdout.on('data', (data) => {
      output += data;
      if (output.includes(`chunk ${killAt}\n`)) proc.kill('SIGKILL');
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0 && output.includes('done')) resolve('finished');
      else reject(new Error(`the child exited with ${code}: ${output.slice(-500)}`));
    });
  });
}

const crash = suite('the file store killed mid-import');

crash(
  'never leaves a path valid with incomplete content, and imports it cleanly after a restart',
  withTimeout(120_000, async () => {
    const fixture = await createStoreFixture('tally-crash-');
    try {
      const source = join(fixture.root, 'src');
      await mkdir(source);
      // 40 files of 256 KiB: 160 chunks of 64 KiB, killed at points spread over the whole import.
      for (let index = 0; index < 40; index++)
        await writeFile(join(source, `f${index}`), randomBytes(256 * 1024));
      const sample = await sampleNar(source, 'crashed', fixture.storeDir);
      const narFile = join(fixture.root, 'sample.nar');
      await writeFile(narFile, sample.nar);
      const args = [
        fixture.storeDir,
        fixture.stateDir,
        narFile,
        sample.path,
        sample.narHash,
        String(sample.narSize),
      ];
      const chunks = Math.ceil(sample.narSize / (64 * 1024));
      for (const killAt of [0, 1, 17, 60, 100, chunks - 2, chunks - 1]) {
        assert.is(await importAndKill(args, killAt), 'killed', `killed at chunk ${killAt}`);
        const store = await fixture.reopen();
        const report = await verifyStore(store);
        assert.equal(report.problems, [], `verify after a kill at chunk ${killAt}`);
        if (await store.has(sample.path)) {
          assert.is(printNarHash((await hashPath(sample.path)).hash), sample.narHash);
        }
        assert.equal(await readdir(join(fixture.stateDir, 'tmp')), [], 'the reopen removed the temporaries');
        assert.ok(
          (await readdir(fixture.storeDir)).every((name) => !name.startsWith('.tally-')),
          'no temporary trees',
        );
      }
      const store = await fixture.reopen();
      if (!(await store.has(sample.path))) await store.importNar(inPieces(sample.nar, 65536), sample);
      const report = await verifyStore(store);
      assert.is(report.checked, 1);
      assert.equal(report.problems, []);
    } finally {
      await fixture.cleanup();
    }
  }),
);

crash.run();
