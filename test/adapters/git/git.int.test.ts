/**
 * The real `git` behind the poller: a bare mirror cloned then fetched (new commits in, deleted
 * branches pruned), branches read with their commit times, and failures classified with git's own
 * words — a missing repository, a remote that never answers, credentials that must not leak.
 */
import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchMirror, GitError, listBranches, runGit } from '../../../adapters/git/git.ts';
import { rejects, tempDir, withTimeout } from '../../helpers/uvu.ts';
import { branchWith, closedPort, commit, commitTimeIso, git, makeRepo, silentServer } from './git-fixture.ts';

const test = suite<{ dir: string; cleanup: () => Promise<void> }>('git for the poller');
const options = { timeoutMs: 20_000 };

test.before.each(async (context) => {
  const dir = await tempDir('tally-git-');
  context.dir = dir.path;
  context.cleanup = dir.cleanup;
});
test.after.each(async (context) => {
  await context.cleanup();
});

const asGitError = (error: unknown): GitError => {
  assert.instance(error, GitError);
  return error as GitError;
};

test(
  'clones a mirror, then fetches new commits and prunes deleted branches',
  withTimeout(30_000, async ({ dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const feature = branchWith(repo, 'feature', { 'feature.txt': 'x\n' });
    const mirror = join(dir, 'mirrors', 'repo.git');
    await fetchMirror(mirror, repo, options);
    const first = await listBranches(mirror, options);
    assert.equal([...first.keys()].sort(), ['feature', 'main']);
    assert.is(first.get('main')?.commit, git(repo, 'rev-parse', 'main'));
    assert.is(first.get('feature')?.commit, feature);

    const newer = commit(repo, { 'README.md': 'second\n' }, 'second');
    git(repo, 'branch', '--quiet', '-D', 'feature');
    git(repo, 'branch', '--quiet', 'added');
    await fetchMirror(mirror, repo, options);
    const second = await listBranches(mirror, options);
    assert.equal([...second.keys()].sort(), ['added', 'main']);
    assert.is(second.get('main')?.commit, newer);
    assert.is.not(newer, first.get('main')?.commit);
    assert.is(git(mirror, 'config', 'core.bare'), 'true', 'the mirror has no work tree');
  }),
);

test(
  'follows a channel whose URL changed to another repository',
  withTimeout(30_000, async ({ dir }) => {
    const one = makeRepo(join(dir, 'one'), { 'one.txt': '1\n' });
    const two = makeRepo(join(dir, 'two'), { 'two.txt': '2\n' });
    const mirror = join(dir, 'mirror.git');
    await fetchMirror(mirror, one, options);
    await fetchMirror(mirror, two, options);
    assert.is((await listBranches(mirror, options)).get('main')?.commit, git(two, 'rev-parse', 'HEAD'));
  }),
);

test(
  'lists every head with its commit and its committer time in ISO form',
  withTimeout(30_000, async ({ dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    branchWith(repo, 'wip/nested-name', { 'n.txt': 'n\n' });
    const mirror = join(dir, 'mirror.git');
    await fetchMirror(mirror, repo, options);
    const branches = await listBranches(mirror, options);
    assert.equal(branches.get('main'), { commit: git(repo, 'rev-parse', 'main'), commitTime: commitTimeIso });
    assert.equal(branches.get('wip/nested-name'), {
      commit: git(repo, 'rev-parse', 'wip/nested-name'),
      commitTime: commitTimeIso,
    });
    assert.is(branches.size, 2);
  }),
);

test(
  "a repository that does not exist is 'not-found' with git's own message, and leaves no mirror",
  withTimeout(30_000, async ({ dir }) => {
    const missing = join(dir, 'no-such-repo');
    const mirror = join(dir, 'mirror.git');
    const error = asGitError(await rejects(fetchMirror(mirror, missing, options)));
    assert.is(error.reason, 'not-found');
    assert.is(error.message, `fatal: repository '${missing}' does not exist`);
    assert.not.ok(existsSync(mirror));
    assert.not.ok(existsSync(`${mirror}.partial`));
  }),
);

test(
  "a mirror whose remote went away is 'not-found' with git's first fatal line, not its advice",
  withTimeout(30_000, async ({ dir }) => {
    const repo = makeRepo(join(dir, 'repo'));
    const mirror = join(dir, 'mirror.git');
    await fetchMirror(mirror, repo, options);
    renameSync(repo, join(dir, 'moved'));
    const error = asGitError(await rejects(fetchMirror(mirror, repo, options)));
    assert.is(error.reason, 'not-found');
    assert.is(error.message.split('\n')[0], `fatal: '${repo}' does not appear to be a git repository`);
    assert.ok((await listBranches(mirror, options)).has('main'), 'the mirror keeps what it had');
  }),
);

test(
  "a refused connection is 'fetch-failed', even on a port whose number contains 403",
  withTimeout(30_000, async () => {
    const port = await closedPort(40300, 40399);
    const error = asGitError(
      await rejects(runGit(['ls-remote', '--', `http://127.0.0.1:${port}/r.git`], options)),
    );
    assert.is(error.reason, 'fetch-failed');
    assert.match(error.message, new RegExp(`^fatal: unable to access 'http://127.0.0.1:${port}/r.git/'`));
  }),
);

/** The live processes whose command line mentions `text` (zombies, waiting to be reaped, have none). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const line = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    })();
    if (line.includes(text)) found.push(`${pid}: ${line}`);
  }
  return found;
}

test(
  "a remote that accepts the connection and never answers is 'timed-out' after the time given",
  withTimeout(30_000, async ({ dir }) => {
    const server = await silentServer();
    try {
      const started = Date.now();
      const error = asGitError(
        await rejects(
          fetchMirror(join(dir, 'mirror.git'), `http://127.0.0.1:${server.port}/repo.git`, {
            timeoutMs: 1500,
          }),
        ),
      );
      const elapsed = Date.now() - started;
      assert.is(error.reason, 'timed-out');
      assert.match(error.message, /^git gave up after 1500 ms/);
      assert.ok(elapsed >= 1400 && elapsed < 10_000, `gave up after ${elapsed} ms`);
      assert.ok(server.accepted() >= 1, 'git did reach the server');
      // git's transport helpers went with it: nothing still talks to the remote.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(processesMentioning(`127.0.0.1:${server.port}`), []);
    } finally {
      await server.close();
    }
  }),
);

test(
  'a clone that timed out leaves no half-made mirror: the next fetch clones afresh',
  withTimeout(30_000, async ({ dir }) => {
    const server = await silentServer();
    const mirror = join(dir, 'mirror.git');
    try {
      await rejects(fetchMirror(mirror, `http://127.0.0.1:${server.port}/repo.git`, { timeoutMs: 1000 }));
    } finally {
      await server.close();
    }
    const repo = makeRepo(join(dir, 'repo'));
    await fetchMirror(mirror, repo, options);
    assert.is((await listBranches(mirror, options)).get('main')?.commit, git(repo, 'rev-parse', 'HEAD'));
  }),
);

test(
  'a URL with user:secret@ never shows the secret in the error, whether git fails or is killed',
  withTimeout(30_000, async ({ dir }) => {
    const refused = asGitError(
      await rejects(
        fetchMirror(join(dir, 'a.git'), `http://alice:secret@127.0.0.1:${await closedPort()}/r.git`, options),
      ),
    );
    assert.is(refused.reason, 'fetch-failed');
    assert.match(refused.message, /unable to access|Failed to connect|Couldn't connect/);
    assert.not.match(refused.message, /secret/);

    const server = await silentServer();
    try {
      const killed = asGitError(
        await rejects(
          runGit(
            [
              'clone',
              '--quiet',
              '--mirror',
              '--',
              `https://alice:secret@127.0.0.1:${server.port}/r.git`,
              join(dir, 'b.git'),
            ],
            {
              timeoutMs: 1000,
            },
          ),
        ),
      );
      assert.is(killed.reason, 'timed-out');
      assert.not.match(killed.message, /secret/);
    } finally {
      await server.close();
    }
  }),
);

test(
  'a git command that fails outright is a GitError with the last lines git printed',
  withTimeout(30_000, async ({ dir }) => {
    const error = asGitError(await rejects(runGit(['-C', join(dir, 'nowhere'), 'status'], options)));
    assert.is(error.reason, 'not-found');
    assert.match(error.message, /cannot change to|No such file/);
  }),
);

test.run();
