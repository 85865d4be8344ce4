import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import { openFileStore } from '../../adapters/store/file-store.ts';
import { verifyStore } from '../../adapters/store/verify.ts';
import { inPieces, sampleNar, writeSampleTree } from '../adapters/store/store-fixtures.ts';
import { startTestLedger } from '../helpers/ledger.ts';
import { collect, tempDir, withTimeout } from '../helpers/uvu.ts';

const run = promisify(execFile);
const bin = new URL('../../ops/cli/bin.js', import.meta.url).pathname;

async function tally(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const cli = suite('tally gc');

cli(
  'reports without removing in a dry run, stops at --max-freed, then removes what no root keeps and records it',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-gc-cli-');
    const ledger = await startTestLedger({ memory: true });
    try {
      const data = join(dir.path, 'data');
      const storeDir = join(data, 'nix', 'store');
      const store = await openFileStore({ storeDir, stateDir: join(data, 'store') });
      // base ← lib ← app (pinned), and two paths nothing keeps.
      const paths: Record<string, string> = {};
      for (const [name, references] of [
        ['base', []],
        ['lib', ['base']],
        ['app', ['lib']],
        ['junk', []],
        ['more-junk', ['base']],
      ] as const) {
        await writeSampleTree(join(dir.path, name), name);
        const sample = await sampleNar(
          join(dir.path, name),
          name,
          storeDir,
          references.map((reference) => paths[reference]!),
        );
        await store.importNar(inPieces(sample.nar), sample);
        paths[name] = sample.path;
      }
      await store.addRoot('app', paths.app!);
      const common = ['gc', '--data', data, '--eventstore', ledger.ledger.url, '--grace', '0'];

      const dry = await tally([...common, '--dry-run']);
      assert.is(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /5 valid paths, 3 live, 2 garbage; would free .* in 2 paths/);
      assert.is((await verifyStore(store)).checked, 5, 'a dry run removes nothing');

      const limited = await tally([...common, '--max-freed', '1']);
      assert.is(limited.code, 0, limited.stderr);
      assert.match(limited.stdout, /freed 0 B in 0 paths/);
      assert.is((await verifyStore(store)).checked, 5);

      const refused = await tally([...common, '--max-freed', 'lots']);
      assert.is.not(refused.code, 0);
      assert.match(refused.stderr, /expected a size such as 500M or 10G/);

      const real = await tally(common);
      assert.is(real.code, 0, real.stderr);
      assert.match(real.stdout, /5 valid paths, 3 live, 2 garbage; freed .* in 2 paths/);
      const verified = await verifyStore(await openFileStore({ storeDir, stateDir: join(data, 'store') }));
      assert.equal(verified.problems, []);
      assert.is(verified.checked, 3);
      for (const kept of ['base', 'lib', 'app']) assert.ok(await store.has(paths[kept]!), kept);
      for (const gone of ['junk', 'more-junk']) assert.not.ok(await store.has(paths[gone]!), gone);

      const gcId = /collection (\S+):/.exec(real.stdout)?.[1];
      const events = await connectEventStore(ledger.ledger.url);
      try {
        const recorded = await collect(events.readStream(`gc-${gcId}`));
        assert.equal(
          recorded.map((event) => event.type),
          ['GcStarted', 'GcPathsCollected', 'GcFinished'],
        );
        const collected = (recorded[1]!.data as { paths: { path: string }[] }).paths.map((p) => p.path);
        assert.equal(collected.sort(), [paths.junk!, paths['more-junk']!].sort());
        assert.is((recorded[0]!.metadata as { actor?: string }).actor, 'user:operator');
      } finally {
        await events.close();
      }
    } finally {
      await ledger.stop();
      await dir.cleanup();
    }
  }),
);

cli.run();
