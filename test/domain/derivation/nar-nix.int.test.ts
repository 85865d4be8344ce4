import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dumpPath, hashPath } from '../../../adapters/store/nar-fs.ts';
import { concatBytes, narBytes, parseNarBytes, printHash } from '../../../domain/derivation/index.ts';
import { tempDir } from '../../helpers/uvu.ts';
import { nix, nixTest, reportSkipped } from './nix.ts';

interface Context {
  root: string;
  cleanup: () => Promise<void>;
}

/** Every awkward shape at once: empty dir and file, padding sizes, executables, symlinks, names. */
function buildTree(root: string): void {
  mkdirSync(join(root, 'empty-dir'));
  for (const size of [0, 1, 7, 8, 9, 15, 16, 17]) writeFileSync(join(root, `size-${size}`), 'x'.repeat(size));
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'run.sh'), 0o755);
  writeFileSync(join(root, 'empty-exe'), '');
  chmodSync(join(root, 'empty-exe'), 0o700);
  symlinkSync('size-1', join(root, 'link'));
  symlinkSync('/nonexistent/target/ünïcode', join(root, 'dangling'));
  symlinkSync('.', join(root, 'self'));
  // Byte order and locale order disagree on these: upper before lower, é after z, ﬁ before 😀.
  for (const name of [
    'Zebra',
    'apple',
    'é',
    'z',
    'ﬁ',
    '😀',
    '_x',
    '-dash',
    '.hidden',
    '..dots',
    '名前',
    'a b',
  ]) {
    writeFileSync(join(root, name), name);
  }
  mkdirSync(join(root, 'nested/deeper/deepest'), { recursive: true });
  writeFileSync(join(root, 'nested/deeper/deepest/file'), Buffer.alloc(200_000, 7));
  mkdirSync(join(root, 'nested/sibling'));
  symlinkSync('../deeper', join(root, 'nested/sibling/up'));
}

const nar = suite<Context>('NAR against nix-store --dump');

nar.before(async (context) => {
  const dir = await tempDir('tally-nar-nix-');
  context.root = join(dir.path, 'tree');
  mkdirSync(context.root);
  buildTree(context.root);
  context.cleanup = dir.cleanup;
});

nar.after(async (context) => context.cleanup?.());

async function ours(path: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of dumpPath(path)) chunks.push(chunk);
  return concatBytes(chunks);
}

nixTest(nar, 'dumps the whole awkward tree byte for byte as nix-store --dump', async ({ root }) => {
  assert.ok(Buffer.from(await ours(root)).equals(nix('nix-store', ['--dump', root])));
});

nixTest(
  nar,
  'dumps every entry on its own byte for byte (files, executables, symlinks, dirs)',
  async ({ root }) => {
    const names = readdirSync(root);
    assert.ok(names.length > 20);
    for (const name of names) {
      const path = join(root, name);
      assert.ok(Buffer.from(await ours(path)).equals(nix('nix-store', ['--dump', path])), name);
    }
  },
);

nixTest(nar, 'hashes like nix-hash --type sha256 --base32', async ({ root }) => {
  for (const path of [
    root,
    join(root, 'size-9'),
    join(root, 'link'),
    join(root, 'empty-dir'),
    join(root, 'nested'),
  ]) {
    const expected = nix('nix-hash', ['--type', 'sha256', '--base32', path]).toString().trim();
    assert.is(printHash((await hashPath(path)).hash, 'nix32', false), expected, path);
  }
});

nixTest(nar, "parses nix's NAR and serializes it back to the same bytes", ({ root }) => {
  const theirs = new Uint8Array(nix('nix-store', ['--dump', root]));
  assert.equal(narBytes(parseNarBytes(theirs)), theirs);
});

nixTest(
  nar,
  'writes NARs that nix-store --restore accepts and restores to the same tree',
  async ({ root }) => {
    const restored = `${root}-restored`;
    const { execFileSync } = await import('node:child_process');
    execFileSync('nix-store', ['--restore', restored], { input: await ours(root) });
    assert.ok(nix('nix-store', ['--dump', restored]).equals(nix('nix-store', ['--dump', root])));
  },
);

nar.run();
reportSkipped();
