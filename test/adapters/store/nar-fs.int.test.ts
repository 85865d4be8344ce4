/**
 * The file-system NAR dumper beyond the small conformance tree: files spanning several chunks,
 * chunks a consumer keeps, the refusals a tree on disk can cause, and no descriptor left open when
 * a consumer stops early.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createNativeSha256, dumpPath, hashPath } from '../../../adapters/store/nar-fs.ts';
import { concatBytes, createNarHasher, printHash, utf8 } from '../../../domain/derivation/index.ts';
import { nix, nixTest, reportSkipped } from '../../domain/derivation/nix.ts';
import { collect, rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';

interface Context {
  dir: string;
  cleanup: () => Promise<void>;
}

const dumper = suite<Context>('NAR of a tree on disk');

dumper.before(async (context) => {
  const dir = await tempDir('tally-nar-fs-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});

dumper.after(async (context) => context.cleanup?.());

/** Bytes that differ from one MiB to the next, so a chunk written twice or out of order shows. */
function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + Math.floor(i / 4093) + seed) & 0xff;
  return bytes;
}

function bigTree(root: string): void {
  mkdirSync(join(root, 'lib'), { recursive: true });
  writeFileSync(join(root, 'big'), pattern(3 * 1024 * 1024 + 5, 1));
  writeFileSync(join(root, 'exactly-one-mib'), pattern(1024 * 1024, 2));
  for (let i = 0; i < 300; i++) writeFileSync(join(root, 'lib', `f${i}`), pattern(i * 97, i));
  symlinkSync('big', join(root, 'lib', 'link'));
}

nixTest(
  dumper,
  'dumps files larger than a chunk byte for byte as nix-store --dump, in chunks the consumer may keep',
  withTimeout(60_000, async ({ dir }) => {
    const root = join(dir, 'big-tree');
    bigTree(root);
    const chunks = await collect(dumpPath(root));
    assert.ok(chunks.length >= 4, `${chunks.length} chunks`);
    assert.ok(chunks.every((chunk) => chunk.length <= 1024 * 1024));
    assert.ok(Buffer.from(concatBytes(chunks)).equals(nix('nix-store', ['--dump', root])));
    const expected = nix('nix-hash', ['--type', 'sha256', '--base32', root]).toString().trim();
    const digest = await hashPath(root);
    assert.is(printHash(digest.hash, 'nix32', false), expected);
    assert.is(digest.size, concatBytes(chunks).length);
  }),
);

dumper(
  'refuses a name that is not UTF-8, with the directory it is in',
  withTimeout(10_000, async ({ dir }) => {
    const root = join(dir, 'latin1');
    mkdirSync(root);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.of(0xe9)]), 'x');
    const error = await rejects(collect(dumpPath(root)));
    assert.is((error as { code?: string }).code, 'TALLY_NAR_BAD_NAME');
    assert.match(String(error), root);
    await rejects(hashPath(root), (e) => (e as { code?: string }).code === 'TALLY_NAR_BAD_NAME');
  }),
);

dumper(
  'refuses a FIFO, and a path that does not exist',
  withTimeout(10_000, async ({ dir }) => {
    const root = join(dir, 'fifo');
    mkdirSync(root);
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const fifo = await rejects(collect(dumpPath(root)));
    assert.is((fifo as { code?: string }).code, 'TALLY_STORE_UNSUPPORTED_FILE');
    const missing = await rejects(collect(dumpPath(join(dir, 'absent'))));
    assert.is((missing as { code?: string }).code, 'TALLY_STORE_NOT_FOUND');
    await rejects(
      hashPath(join(dir, 'absent')),
      (e) => (e as { code?: string }).code === 'TALLY_STORE_NOT_FOUND',
    );
  }),
);

dumper(
  'closes the file it was reading when the consumer stops in the middle of it',
  withTimeout(10_000, async ({ dir }) => {
    const root = join(dir, 'stop-early');
    mkdirSync(root);
    writeFileSync(join(root, 'large'), pattern(4 * 1024 * 1024, 3));
    const openBefore = readdirSync('/proc/self/fd').length;
    const chunks = dumpPath(root);
    const first = await chunks.next();
    assert.is(first.done, false);
    assert.ok(readdirSync('/proc/self/fd').length > openBefore, 'the file is open mid-way');
    await chunks.return(undefined);
    assert.is(readdirSync('/proc/self/fd').length, openBefore);
  }),
);

dumper('hashes with node:crypto to the digest and size of the portable SHA-256', () => {
  const native = createNarHasher(createNativeSha256());
  const portable = createNarHasher();
  for (const chunk of [utf8('nix-'), new Uint8Array(0), pattern(70_000, 4), utf8('archive')]) {
    native.update(chunk);
    portable.update(chunk);
  }
  const digest = native.digest();
  assert.equal(digest, portable.digest());
  assert.is(digest.size, 70_011);
});

dumper.run();
reportSkipped();
