/**
 * `exportCommit`: the tree of one commit of a bare mirror, as files an evaluator can read (an
 * executable stays executable), and a refusal for anything but a full commit hash.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ExportError, exportCommit } from '../../../adapters/git/export-commit.ts';
import { fetchMirror } from '../../../adapters/git/git.ts';
import { mountSmallDisk } from '../../fixtures/small-disk.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { commit, git, makeRepo } from './git-fixture.ts';

const test = suite<{ dir: string; cleanup: () => Promise<void> }>('exportCommit');

test.before.each(async (context) => {
  const dir = await tempDir('tally-export-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});
test.after.each(async (context) => {
  await context.cleanup();
});

async function mirrorOf(dir: string) {
  const repo = makeRepo(join(dir, 'repo'), {
    'build.sh': '#!/bin/sh\necho built\n',
    'lib/data.txt': 'first\n',
  });
  const first = git(repo, 'rev-parse', 'HEAD');
  const second = commit(repo, { 'lib/data.txt': 'second\n', 'added.txt': 'new\n' });
  const mirror = join(dir, 'mirror.git');
  await fetchMirror(mirror, repo, { timeoutMs: 20_000 });
  return { mirror, first, second };
}

test(
  "writes the commit's tree, keeping the executable bit",
  withTimeout(30_000, async ({ dir }) => {
    const { mirror, second } = await mirrorOf(dir);
    const target = join(dir, 'out', 'tree');
    await exportCommit(mirror, second, target);
    assert.is(await readFile(join(target, 'build.sh'), 'utf8'), '#!/bin/sh\necho built\n');
    assert.is(await readFile(join(target, 'lib', 'data.txt'), 'utf8'), 'second\n');
    assert.is(await readFile(join(target, 'added.txt'), 'utf8'), 'new\n');
    assert.ok(((await stat(join(target, 'build.sh'))).mode & 0o111) !== 0, 'build.sh is executable');
    assert.is((await stat(join(target, 'lib', 'data.txt'))).mode & 0o111, 0, 'data.txt is not');
    assert.not.ok(existsSync(join(target, '.git')));
  }),
);

test(
  'writes an older commit as it was, not the branch head',
  withTimeout(30_000, async ({ dir }) => {
    const { mirror, first } = await mirrorOf(dir);
    const target = join(dir, 'old');
    await exportCommit(mirror, first, target);
    assert.is(await readFile(join(target, 'lib', 'data.txt'), 'utf8'), 'first\n');
    assert.not.ok(existsSync(join(target, 'added.txt')));
  }),
);

test(
  'refuses a branch name, a short hash or an option-like argument before running git',
  withTimeout(30_000, async ({ dir }) => {
    const { mirror, second } = await mirrorOf(dir);
    for (const bad of ['main', second.slice(0, 12), '--output=/tmp/x', second.toUpperCase(), `${second}\n`]) {
      const target = join(dir, 'refused');
      const error = await rejects(exportCommit(mirror, bad, target), /is not a full commit hash/);
      assert.instance(error, ExportError);
      assert.is((error as ExportError).code, 'TALLY_GIT_EXPORT_FAILED');
      assert.not.ok(existsSync(target), 'nothing was written');
    }
  }),
);

test(
  "a full hash the mirror does not hold fails with git's message",
  withTimeout(30_000, async ({ dir }) => {
    const { mirror } = await mirrorOf(dir);
    const unknown = 'f'.repeat(40);
    const error = await rejects(exportCommit(mirror, unknown, join(dir, 'missing')));
    assert.instance(error, ExportError);
    assert.match(
      (error as Error).message,
      new RegExp(`commit ${unknown} could not be exported: .*(not a (valid|tree)|bad|fatal)`, 'i'),
    );
  }),
);

test(
  "a disk that fills up during the export fails it with tar's message",
  withTimeout(60_000, async ({ dir }) => {
    const disk = await mountSmallDisk();
    if ('reason' in disk) {
      console.log(`skipped: a small disk needs root (${disk.reason})`);
      return;
    }
    try {
      const repo = makeRepo(join(dir, 'big'), {
        'big.txt': randomBytes(2 << 20).toString('base64'),
        'after.txt': 'after\n',
      });
      const mirror = join(dir, 'big.git');
      await fetchMirror(mirror, repo, { timeoutMs: 20_000 });
      const error = await rejects(
        exportCommit(mirror, git(repo, 'rev-parse', 'HEAD'), join(disk.path, 'out')),
      );
      assert.instance(error, ExportError);
      assert.match(
        (error as Error).message,
        /tar: big\.txt: (Wrote only \d+ of \d+ bytes|Cannot write: No space left on device)/,
        (error as Error).message,
      );
    } finally {
      disk.release();
    }
  }),
);

test.run();
