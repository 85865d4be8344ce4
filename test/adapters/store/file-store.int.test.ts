import { chmod, lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPath } from '../../../adapters/store/nar-fs.ts';
import { decompressZstd } from '../../../adapters/store/zstd.ts';
import { makeSourcePath, printNarHash } from '../../../domain/derivation/index.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';
import {
  createStoreFixture,
  inPieces,
  type StoreFixture,
  sampleNar,
  writeSampleTree,
} from './store-fixtures.ts';

const codeIs = (code: string) => (error: unknown) => (error as { code?: string }).code === code;

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Everything under the state and store directories except the valid paths' own files. */
async function leftovers(fixture: StoreFixture): Promise<string[]> {
  const found: string[] = [];
  for await (const info of fixture.store.list()) found.push(`valid ${info.path}`);
  for (const dir of ['tmp', 'nar']) {
    for (const name of await readdir(join(fixture.stateDir, dir))) found.push(`${dir}/${name}`);
  }
  for (const name of await readdir(fixture.storeDir)) found.push(`store/${name}`);
  return found.sort();
}

const store = suite<{ fixture: StoreFixture; source: string; cleanupSource: () => Promise<void> }>(
  'the file store',
);

store.before.each(async (context) => {
  context.fixture = await createStoreFixture();
  const source = await tempDir('tally-store-src-');
  context.source = source.path;
  context.cleanupSource = source.cleanup;
});

store.after.each(async ({ fixture, cleanupSource }) => {
  await fixture.cleanup();
  await cleanupSource();
});

store(
  'imports a NAR: unpacks it read-only with timestamps 1, records it, and serves it back identical',
  withTimeout(10_000, async ({ fixture, source }) => {
    await writeSampleTree(join(source, 't'));
    const sample = await sampleNar(join(source, 't'), 'sample', fixture.storeDir);
    const info = await fixture.store.importNar(inPieces(sample.nar, 7), sample);
    assert.is(info.narHash, sample.narHash);
    assert.is(info.narSize, sample.narSize);
    assert.ok(await fixture.store.has(sample.path));
    assert.is(printNarHash((await hashPath(sample.path)).hash), sample.narHash);
    const file = await lstat(join(sample.path, 'bin', 'hello'));
    assert.is(file.mode & 0o777, 0o555);
    assert.is(file.mtimeMs, 1000);
    assert.is((await lstat(join(sample.path, 'README'))).mode & 0o777, 0o444);
    assert.is((await lstat(sample.path)).mode & 0o777, 0o555);
    const nar = await collect((await fixture.store.narStream(sample.path)).stream);
    assert.ok(nar.equals(Buffer.from(sample.nar)));
    const compressed = await fixture.store.narStream(sample.path, { compressed: true });
    assert.is(compressed.size, info.file.fileSize);
    assert.ok((await collect(decompressZstd(compressed.stream))).equals(Buffer.from(sample.nar)));
    const byHash = await fixture.store.compressedNar(info.file.fileHash.slice('sha256:'.length));
    assert.is(byHash?.size, info.file.fileSize);
    byHash?.stream.destroy();
    assert.equal(
      await fixture.store.infoByHashPart(
        sample.path.slice(fixture.storeDir.length + 1, fixture.storeDir.length + 33),
      ),
      info,
    );
  }),
);

store(
  'registers a path built in place, and keeps its records across a reopen',
  withTimeout(10_000, async ({ fixture }) => {
    const staging = join(fixture.root, 'staging');
    await writeSampleTree(staging, 'built in place');
    const sample = await sampleNar(staging, 'built', fixture.storeDir);
    await writeSampleTree(sample.path, 'built in place');
    const info = await fixture.store.addFromDirectory({
      path: sample.path,
      deriver: `${fixture.storeDir}/${'a'.repeat(32)}-built.drv`,
      sigs: ['k:c2ln'],
    });
    assert.is(info.narHash, sample.narHash);
    const reopened = await fixture.reopen();
    assert.equal(await reopened.info(sample.path), info);
    const listed = [];
    for await (const entry of reopened.list()) listed.push(entry.path);
    assert.equal(listed, [sample.path]);
  }),
);

store(
  'refuses a NAR whose hash or size differs, and leaves nothing behind',
  withTimeout(10_000, async ({ fixture, source }) => {
    await writeSampleTree(join(source, 't'));
    const sample = await sampleNar(join(source, 't'), 'sample', fixture.storeDir);
    const other = await sampleNar(join(source, 't', 'bin'), 'other', fixture.storeDir);
    await rejects(
      fixture.store.importNar(inPieces(sample.nar), { ...sample, narHash: other.narHash }),
      codeIs('TALLY_STORE_HASH_MISMATCH'),
    );
    await rejects(
      fixture.store.importNar(inPieces(sample.nar), { ...sample, narSize: sample.narSize - 8 }),
      codeIs('TALLY_STORE_HASH_MISMATCH'),
    );
    await rejects(
      fixture.store.importNar(inPieces(sample.nar.subarray(0, 200)), sample),
      codeIs('TALLY_NAR_TRUNCATED'),
    );
    const garbage = Buffer.from(sample.nar);
    garbage[20] = 0x41;
    await rejects(fixture.store.importNar(inPieces(garbage), sample), (error) =>
      /TALLY_NAR_/.test((error as { code: string }).code),
    );
    assert.not.ok(await fixture.store.has(sample.path));
    assert.equal(await leftovers(fixture), []);
  }),
);

store(
  'refuses paths outside the store, with .., or with names Nix refuses, before touching the disk',
  withTimeout(10_000, async ({ fixture, source }) => {
    await writeSampleTree(join(source, 't'));
    const sample = await sampleNar(join(source, 't'), 'sample', fixture.storeDir);
    const hash = sample.path.slice(fixture.storeDir.length + 1, fixture.storeDir.length + 33);
    for (const path of [
      `${fixture.storeDir}/../${hash}-x`,
      `${fixture.storeDir}/${hash}-x/../../etc`,
      `/tmp/${hash}-x`,
      `${fixture.storeDir}/${hash}-a/b`,
      `${fixture.storeDir}/${hash}-..`,
      `${fixture.storeDir}/${hash}-bad name`,
      `${fixture.storeDir}/short-x`,
    ]) {
      await rejects(
        fixture.store.importNar(inPieces(sample.nar), { ...sample, path }),
        codeIs('TALLY_STORE_BAD_PATH'),
      );
      await rejects(fixture.store.has(path), codeIs('TALLY_STORE_BAD_PATH'));
    }
    await rejects(
      fixture.store.importNar(inPieces(sample.nar), { ...sample, references: ['/etc/passwd'] }),
      codeIs('TALLY_STORE_BAD_PATH'),
    );
    assert.equal(await leftovers(fixture), []);
  }),
);

store(
  'refuses a path whose references are not valid, and accepts it once they are',
  withTimeout(10_000, async ({ fixture, source }) => {
    await writeSampleTree(join(source, 'dep'));
    const dep = await sampleNar(join(source, 'dep'), 'dep', fixture.storeDir);
    await writeSampleTree(join(source, 'top'), dep.path);
    const top = await sampleNar(join(source, 'top'), 'top', fixture.storeDir, [dep.path]);
    await rejects(fixture.store.importNar(inPieces(top.nar), top), codeIs('TALLY_STORE_MISSING_REFERENCE'));
    await fixture.store.importNar(inPieces(dep.nar), dep);
    const info = await fixture.store.importNar(inPieces(top.nar), top);
    assert.equal(info.references, [dep.path]);
  }),
);

store(
  'removes a path: invalid first, then its tree, and a shared compressed NAR only with its last path',
  withTimeout(10_000, async ({ fixture, source }) => {
    await writeSampleTree(join(source, 't'));
    const a = await sampleNar(join(source, 't'), 'a', fixture.storeDir);
    const b = {
      ...a,
      path: makeSourcePath('b', (await hashPath(join(source, 't'))).hash, [], fixture.storeDir),
    };
    const infoA = await fixture.store.importNar(inPieces(a.nar), a);
    const infoB = await fixture.store.importNar(inPieces(b.nar), b);
    assert.is(infoA.file.fileHash, infoB.file.fileHash);
    await fixture.store.remove(a.path);
    assert.not.ok(await fixture.store.has(a.path));
    await rejects(lstat(a.path));
    const shared = await fixture.store.compressedNar(infoB.file.fileHash.slice(7));
    assert.ok(shared, 'the NAR b still has is kept');
    shared.stream.destroy();
    await fixture.store.remove(b.path);
    assert.equal(await leftovers(fixture), []);
  }),
);

store(
  'keeps build logs per attempt, compressed, and reads the latest by default',
  withTimeout(10_000, async ({ fixture }) => {
    const drv = `${fixture.storeDir}/${'b'.repeat(32)}-hello.drv`;
    await fixture.store.writeLog(drv, 1, inPieces(Buffer.from('first attempt\n')));
    await fixture.store.writeLog(drv, 2, inPieces(Buffer.from('second attempt\n'.repeat(1000))));
    const latest = await fixture.store.readLog(drv);
    assert.is(latest?.attempt, 2);
    assert.is((await collect(latest!.stream)).toString(), 'second attempt\n'.repeat(1000));
    assert.is((await collect((await fixture.store.readLog(drv, 1))!.stream)).toString(), 'first attempt\n');
    assert.is(await fixture.store.readLog(drv, 3), undefined);
    assert.is(await fixture.store.readLog(`${fixture.storeDir}/${'c'.repeat(32)}-none.drv`), undefined);
    await rejects(
      fixture.store.writeLog(drv, 0, inPieces(Buffer.from('x'))),
      codeIs('TALLY_STORE_BAD_ARGUMENT'),
    );
    await rejects(
      fixture.store.writeLog(`${fixture.storeDir}/../x.drv`, 1, inPieces(Buffer.from('x'))),
      codeIs('TALLY_STORE_BAD_PATH'),
    );
  }),
);

store(
  'keeps GC roots as records',
  withTimeout(10_000, async ({ fixture }) => {
    const path = `${fixture.storeDir}/${'d'.repeat(32)}-kept`;
    await fixture.store.addRoot('jobset-main-latest', path);
    assert.equal(
      (await fixture.store.roots()).map((root) => [root.name, root.path]),
      [['jobset-main-latest', path]],
    );
    await fixture.store.removeRoot('jobset-main-latest');
    assert.equal(await fixture.store.roots(), []);
    await rejects(fixture.store.addRoot('../escape', path), codeIs('TALLY_STORE_BAD_ARGUMENT'));
  }),
);

store(
  'verify names a path whose content was changed on disk',
  withTimeout(10_000, async ({ fixture, source }) => {
    const { verifyStore } = await import('../../../adapters/store/verify.ts');
    await writeSampleTree(join(source, 't'));
    const sample = await sampleNar(join(source, 't'), 'sample', fixture.storeDir);
    await fixture.store.importNar(inPieces(sample.nar), sample);
    assert.equal((await verifyStore(fixture.store)).problems, []);
    await chmod(join(sample.path, 'README'), 0o644);
    await writeFile(join(sample.path, 'README'), 'tampered\n');
    const report = await verifyStore(fixture.store);
    assert.is(report.problems.length, 1);
    assert.is(report.problems[0]?.path, sample.path);
    assert.match(report.problems[0]!.detail, /NAR hash/);
    assert.is(await readFile(join(sample.path, 'README'), 'utf8'), 'tampered\n');
  }),
);

store.run();
