import { randomBytes } from 'node:crypto';
import { appendFile, lstat, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { keptInBatch, openStoreBulk } from '../../../adapters/store/bulk.ts';
import type { ValidPathInfo } from '../../../adapters/store/store.ts';
import { encodeAdd } from '../../../adapters/store/valid-log-format.ts';
import { verifyStore } from '../../../adapters/store/verify.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import {
  createStoreFixture,
  inPieces,
  type StoreFixture,
  sampleNar,
  writeSampleTree,
} from './store-fixtures.ts';

const kept = suite('keptInBatch');

const item = (path: string, references: string[] = []) => ({ path, references });

kept('keeps what a new path refers to, and what that refers to within the batch', () => {
  // c → b → a, and d alone; a new path refers to b.
  const batch = [item('c', ['b']), item('d'), item('b', ['a', 'b']), item('a')];
  assert.equal([...keptInBatch(batch, ['b'])].sort(), ['a', 'b']);
  assert.equal([...keptInBatch(batch, ['outside'])], []);
  assert.equal([...keptInBatch(batch, ['c', 'd'])].sort(), ['a', 'b', 'c', 'd']);
});

kept.run();

const bulk = suite<{ f?: StoreFixture; cleanup?: () => Promise<void> }>('openStoreBulk');
bulk.after.each(async (context) => {
  await context.f?.cleanup();
  await context.cleanup?.();
});

/**
 * Imports the sample tree (read-only directories included) under each of `names`: one shared NAR,
 * kept in the log, or with `large` in a file of its own (incompressible bytes past the inline limit).
 */
async function importSamples(f: StoreFixture, names: string[], large = false): Promise<ValidPathInfo[]> {
  const source = await tempDir('tally-bulk-src-');
  try {
    await writeSampleTree(source.path, large ? randomBytes(100 * 1024).toString('base64') : '');
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
  'unregisters first, deletes content after, and keeps a NAR file shared with a path still valid',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const [a, b, c] = await importSamples(f, ['a', 'b', 'c'], true);
    assert.is(a!.file.fileHash, b!.file.fileHash, 'identical trees share one compressed NAR');
    assert.is((await readdir(join(f.stateDir, 'nar'))).length, 1, 'a large NAR is a file of its own');
    const store = openStoreBulk(f.storeDir, f.stateDir);
    assert.is((await store.scan((info) => info.path)).length, 3);

    assert.equal(await store.unregister([a!, b!]), [a!, b!]);
    assert.not.ok(await store.isValid(a!.path));
    assert.not.ok(await f.store.has(b!.path));
    assert.ok(await exists(a!.path), 'content stays until deleteContent');
    assert.equal(await store.scanNew((info) => info.path), [], 'nothing new since the scan');

    await store.deleteContent([a!, b!].map((info) => ({ path: info.path, fileHash: info.file.fileHash })));
    assert.not.ok(await exists(a!.path), 'a read-only tree is deleted');
    assert.not.ok(await exists(b!.path));
    assert.ok(await f.store.has(c!.path));
    assert.equal((await verifyStore(f.store)).problems, [], 'the NAR c shares is still there');
    assert.is((await readdir(join(f.stateDir, 'nar'))).length, 1);

    await store.unregister([c!]);
    await store.deleteContent([{ path: c!.path, fileHash: c!.file.fileHash }]);
    assert.is((await readdir(join(f.stateDir, 'nar'))).length, 0, 'gone with its last user');
    assert.equal(await readdir(f.storeDir), []);
  }),
);

bulk(
  'keeps a path that a path registered since the scan refers to, with what it refers to',
  withTimeout(30_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const source = await tempDir('tally-bulk-src-');
    try {
      await writeSampleTree(join(source.path, 'base'), 'base');
      const base = await sampleNar(join(source.path, 'base'), 'base', f.storeDir);
      await f.store.importNar(inPieces(base.nar), base);
      await writeSampleTree(join(source.path, 'lib'), 'lib');
      const lib = await sampleNar(join(source.path, 'lib'), 'lib', f.storeDir, [base.path]);
      await f.store.importNar(inPieces(lib.nar), lib);
      await writeSampleTree(join(source.path, 'other'), 'other');
      const other = await sampleNar(join(source.path, 'other'), 'other', f.storeDir);
      await f.store.importNar(inPieces(other.nar), other);

      const store = openStoreBulk(f.storeDir, f.stateDir);
      const records = await store.scan((info) => ({ path: info.path, references: info.references }));
      // Between the scan and the removal, another writer registers a path that uses lib.
      await writeSampleTree(join(source.path, 'app'), 'app');
      const app = await sampleNar(join(source.path, 'app'), 'app', f.storeDir, [lib.path]);
      await (await f.reopen()).importNar(inPieces(app.nar), app);

      const removed = await store.unregister(records);
      assert.equal(
        removed.map((record) => record.path),
        [other.path],
      );
      for (const path of [base.path, lib.path, app.path]) assert.ok(await f.store.has(path), path);
      assert.not.ok(await f.store.has(other.path));
      assert.equal((await verifyStore(f.store)).problems, []);
    } finally {
      await source.cleanup();
    }
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
    const read = await store.scan((info) => info.path);
    assert.equal(read.sort(), infos.map((info) => info.path).sort());
    const [c] = await importSamples(f, ['c']);
    assert.equal(await store.scanNew((info) => info.path), [c!.path]);
    const baseName = `${'0'.repeat(32)}-broken`;
    await appendFile(join(f.stateDir, 'valid.log'), encodeAdd(baseName, '1'.repeat(52), '{"path": 1}'));
    try {
      await store.scan((info) => info.path);
      assert.unreachable('a corrupt record was read');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'TALLY_STORE_CORRUPT_RECORD');
      assert.match((error as Error).message, baseName);
    }
  }),
);

bulk(
  'compacts the log once removed entries outweigh the rest, every store reading it follows, and orphan NAR files go',
  withTimeout(60_000, async (context) => {
    const f = await createStoreFixture('tally-bulk-');
    context.f = f;
    const names = Array.from({ length: 400 }, (_, index) => `p${index}`);
    const source = await tempDir('tally-bulk-src-');
    const infos: ValidPathInfo[] = [];
    try {
      for (const name of names) {
        // Incompressible content, so each entry carries a NAR of a few kilobytes.
        await writeSampleTree(join(source.path, name), randomBytes(3000).toString('base64'));
        const sample = await sampleNar(join(source.path, name), name, f.storeDir);
        infos.push(await f.store.importNar(inPieces(sample.nar), sample));
      }
    } finally {
      await source.cleanup();
    }
    const other = await f.reopen();
    assert.ok(await other.has(infos[0]!.path), 'a second store reads the log');
    const log = join(f.stateDir, 'valid.log');
    const before = (await stat(log)).size;
    const store = openStoreBulk(f.storeDir, f.stateDir);
    const garbage = infos.slice(0, 300);
    const orphan = join(f.stateDir, 'nar', `${'3'.repeat(52)}.nar.zst`);
    await writeFile(orphan, 'a NAR whose record a crash prevented');
    await store.compact();
    assert.is((await stat(log)).size, before, 'nothing to reclaim yet');
    assert.not.ok(await exists(orphan), 'a NAR file no valid path has is deleted');
    await store.unregister(garbage);
    await store.deleteContent(garbage.map((info) => ({ path: info.path, fileHash: info.file.fileHash })));
    await store.compact();
    const after = (await stat(log)).size;
    assert.ok(after < before / 3, `the log went from ${before} to ${after} bytes`);
    for (const store of [f.store, other]) {
      assert.not.ok(await store.has(garbage[0]!.path));
      assert.equal((await verifyStore(store)).problems, []);
      assert.is((await verifyStore(store)).checked, 100);
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
