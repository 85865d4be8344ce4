import { lstat, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openStoreBulk, unregisterWaves } from '../../../adapters/store/bulk.ts';
import type { ValidPathInfo } from '../../../adapters/store/store.ts';
import { verifyStore } from '../../../adapters/store/verify.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import {
  createStoreFixture,
  inPieces,
  type StoreFixture,
  sampleNar,
  writeSampleTree,
} from './store-fixtures.ts';

const waves = suite('unregisterWaves');

const item = (path: string, references: string[] = []) => ({ path, references });
const paths = (groups: { path: string }[][]) => groups.map((group) => group.map((entry) => entry.path));

waves('puts a path after every path listed before it that refers to it', () => {
  // c → b → a, and d alone: d goes with c, then b, then a.
  const batch = [item('c', ['b']), item('d'), item('b', ['a', 'b']), item('a')];
  assert.equal(paths(unregisterWaves(batch)), [['c', 'd'], ['b'], ['a']]);
});

waves('keeps the order given when a reference is listed before its referrer', () => {
  assert.equal(paths(unregisterWaves([item('a'), item('b', ['a'])])), [['a', 'b']]);
});

waves('waits for the latest of several referrers', () => {
  const batch = [item('x', ['y']), item('y', ['z']), item('w', ['z']), item('z')];
  assert.equal(paths(unregisterWaves(batch)), [['x', 'w'], ['y'], ['z']]);
});

waves.run();

const bulk = suite<{ f?: StoreFixture; cleanup?: () => Promise<void> }>('openStoreBulk');
bulk.after.each(async (context) => {
  await context.f?.cleanup();
  await context.cleanup?.();
});

/** Imports the sample tree (read-only directories included) under each of `names`: one shared NAR. */
async function importSamples(f: StoreFixture, names: string[]): Promise<ValidPathInfo[]> {
  const source = await tempDir('tally-bulk-src-');
  try {
    await writeSampleTree(source.path);
    const infos: ValidPathInfo[] = [];
    for (const name of names) {
      const sample = await sampleNar(source.path, name, f.storeDir);
      infos.push(await f.store.importNar(inPieces(sample.nar), sample));
    }
    return infos;
  } finally {
    await source.cleanup();
  }
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

bulk(
  'unregisters first, deletes content after, and keeps a NAR shared with a path still valid',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const [a, b, c] = await importSamples(f, ['a', 'b', 'c']);
    assert.is(a!.file.fileHash, b!.file.fileHash, 'identical trees share one compressed NAR');
    const store = openStoreBulk(f.storeDir, f.stateDir);
    assert.is((await store.recordNames()).length, 3);

    await store.unregister([a!, b!]);
    assert.not.ok(await store.isValid(a!.path));
    assert.not.ok(await f.store.has(b!.path));
    assert.ok(await exists(a!.path), 'content stays until deleteContent');
    assert.equal(
      await store.recordNames(
        new Set([`${c!.path.slice(f.storeDir.length + 1, f.storeDir.length + 33)}.json`]),
      ),
      [],
    );

    await store.deleteContent([a!, b!].map((info) => ({ path: info.path, fileHash: info.file.fileHash })));
    assert.not.ok(await exists(a!.path), 'a read-only tree is deleted');
    assert.not.ok(await exists(b!.path));
    assert.ok(await f.store.has(c!.path));
    assert.equal((await verifyStore(f.store)).problems, [], 'the NAR c shares is still there');
    assert.is((await readdir(join(f.stateDir, 'nar'))).length, 1);
    assert.is((await readdir(join(f.stateDir, 'nar-of'))).length, 1);

    await store.unregister([c!]);
    await store.deleteContent([{ path: c!.path, fileHash: c!.file.fileHash }]);
    assert.is((await readdir(join(f.stateDir, 'nar'))).length, 0, 'gone with its last link');
    assert.equal(await readdir(f.storeDir), []);
  }),
);

bulk(
  'leaves the content of a path that is valid, and deletes again what is already gone without error',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const [a, b] = await importSamples(f, ['a', 'b']);
    const store = openStoreBulk(f.storeDir, f.stateDir);
    await store.unregister([b!]);
    const both = [a!, b!].map((info) => ({ path: info.path, fileHash: info.file.fileHash }));
    await store.deleteContent(both);
    await store.deleteContent(both);
    assert.ok(await f.store.has(a!.path));
    assert.ok(await exists(a!.path));
    assert.not.ok(await exists(b!.path));
    assert.equal((await verifyStore(f.store)).problems, []);
  }),
);

bulk(
  'reads every record through the pick, and names a record that does not parse',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const infos = await importSamples(f, ['a', 'b']);
    const store = openStoreBulk(f.storeDir, f.stateDir);
    const names = await store.recordNames();
    const read = await store.readRecords(names, (info) => info.path);
    assert.equal(read.sort(), infos.map((info) => info.path).sort());
    await writeFile(join(f.stateDir, 'valid', names[0]!), '{"path": 1}');
    try {
      await store.readRecords(names, (info) => info.path);
      assert.unreachable('a corrupt record was read');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'TALLY_STORE_CORRUPT_RECORD');
      assert.match((error as Error).message, names[0]!);
    }
  }),
);

bulk(
  'refuses to delete or unregister a path outside the store, touching nothing',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const [a] = await importSamples(f, ['a']);
    const outside = join(f.storeDir, '..', 'precious');
    await writeFile(outside, 'keep me');
    const store = openStoreBulk(f.storeDir, f.stateDir);
    const hashPart = a!.path.slice(f.storeDir.length + 1, f.storeDir.length + 33);
    for (const path of [outside, `${f.storeDir}/../${hashPart}-x`, `/elsewhere/${hashPart}-a`]) {
      for (const attempt of [
        () => store.deleteContent([{ path, fileHash: a!.file.fileHash }]),
        () => store.unregister([{ path, references: [] }]),
      ]) {
        try {
          await attempt();
          assert.unreachable(`${path} was accepted`);
        } catch (error) {
          assert.is((error as { code?: string }).code, 'TALLY_STORE_BAD_PATH', String(error));
        }
      }
    }
    assert.ok(await exists(outside), 'the file outside the store is still there');
    assert.ok(await f.store.has(a!.path), 'the valid path is still valid');
    assert.equal((await verifyStore(f.store)).problems, []);
  }),
);

bulk.run();
