/**
 * `tally hook secret` and `tally eval --poll` as a user runs them: a secret printed and kept in the
 * data directory readable by its owner only, and an evaluation asked of a running farm through its API.
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostSystem } from '../../adapters/builders/native/native-builder.ts';
import { makeRepo } from '../adapters/git/git-fixture.ts';
import { dataOf, startFarm } from '../helpers/farm.ts';
import { tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('tally hook secret and tally eval');

test(
  'makes a 64-hex secret in a hook-secrets.json only its owner can read, keeping the others',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-cli-hook-');
    try {
      const data = join(dir.path, 'not-yet-made');
      const made = await tally(['hook', 'secret', 'demo', '--data', data, '--api', 'https://ci.example.org']);
      assert.is(made.code, 0, made.stderr);
      const secret = made.stdout.trim();
      assert.match(secret, /^[0-9a-f]{64}$/);
      assert.match(made.stderr, /https:\/\/ci\.example\.org\/api\/hooks\/demo/);
      assert.match(made.stderr, /note: .*not-yet-made did not exist and was made/);
      const file = join(data, 'hook-secrets.json');
      assert.is((await stat(file)).mode & 0o777, 0o600);
      assert.equal(JSON.parse(await readFile(file, 'utf8')), { demo: secret });

      const other = await tally(['hook', 'secret', 'other', '--data', data]);
      assert.is(other.code, 0, other.stderr);
      const replaced = await tally(['hook', 'secret', 'demo', '--data', data]);
      const secrets = JSON.parse(await readFile(file, 'utf8'));
      assert.equal(Object.keys(secrets).sort(), ['demo', 'other']);
      assert.is(secrets.other, other.stdout.trim());
      assert.is(secrets.demo, replaced.stdout.trim());
      assert.is.not(secrets.demo, secret, 'making it again replaces it');
      assert.is((await stat(file)).mode & 0o777, 0o600);
    } finally {
      await dir.cleanup();
    }
  }),
);

test(
  'tally eval --poll asks a running farm to poll and prints the evaluation the new commit started',
  withTimeout(90_000, async () => {
    const dir = await tempDir('tally-cli-eval-');
    const repo = makeRepo(join(dir.path, 'repo'), {
      'tally.jobs.json': JSON.stringify({
        jobs: { hello: { system: hostSystem(), builder: '/bin/sh', args: ['-c', 'echo hi > $out'] } },
      }),
    });
    const farm = await startFarm(join(dir.path, 'data'));
    try {
      const registered = await fetch(`${farm.api}/api/specs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'cli',
          channels: [{ name: 'main', url: repo, branch: 'main' }],
          evaluator: { kind: 'native', entry: 'tally.jobs.json' },
          systems: [hostSystem()],
          pollingPeriodSeconds: 0,
        }),
      });
      assert.ok(registered.status < 300, await registered.text());

      const refused = await tally(['eval', 'cli', '--api', farm.api, '--poll'], { TALLY_TOKEN: '' });
      assert.is(refused.code, 1);
      assert.match(refused.stderr, /TALLY_AUTH_MISSING_TOKEN/);

      const polled = await tally(['eval', 'cli', '--api', farm.api, '--token', farm.token ?? '', '--poll']);
      assert.is(polled.code, 0, polled.stderr);
      const id = /new commits \(main\/main\): evaluation (cli-[0-9a-f]{16}) requested/.exec(
        polled.stdout,
      )?.[1];
      assert.ok(id, polled.stdout);
      assert.match(polled.stdout, new RegExp(`follow it: ${farm.api}/api/evaluations/${id}`));
      const requested = await farm.events.waitFor(
        (event) => event.type === 'EvaluationRequested' && dataOf(event).evaluationId === id,
        20_000,
        'the evaluation printed',
      );
      assert.equal(dataOf(requested).trigger, { kind: 'manual', by: 'user:admin' });

      const again = await tally(['eval', 'cli', '--api', farm.api, '--token', farm.token ?? '', '--poll']);
      assert.is(again.code, 0, again.stderr);
      const manual = /evaluation (\S+) of cli requested/.exec(again.stdout)?.[1];
      assert.ok(manual, `no new commits: an evaluation of the last ones is asked for (${again.stdout})`);
      assert.is.not(manual, id);
      await farm.events.waitFor(
        (event) => event.type === 'EvaluationRequested' && dataOf(event).evaluationId === manual,
        20_000,
        'the manual evaluation',
      );

      // A secret for a name the server does not know: made, with a note; the URL is the server's own.
      const unknown = await tally(['hook', 'secret', 'nosuch', '--data', join(dir.path, 'data')]);
      assert.is(unknown.code, 0, unknown.stderr);
      assert.match(unknown.stderr, new RegExp(`set the URL ${farm.api}/api/hooks/nosuch`));
      assert.match(unknown.stderr, /has no specification nosuch yet: register it, or check the name/);
      const known = await tally(['hook', 'secret', 'cli', '--data', join(dir.path, 'data')]);
      assert.not.match(known.stderr, /no specification|did not exist/);

      // The repository gone: the poll fails, and says so on stderr with a non-zero exit.
      await rename(repo, `${repo}.gone`);
      const failed = await tally(['eval', 'cli', '--api', farm.api, '--token', farm.token ?? '', '--poll']);
      assert.is(failed.code, 1, failed.stdout);
      assert.match(
        failed.stderr,
        /channel main could not be polled \(.+\): [\s\S]*then poll again \[TALLY_CLI_POLL_FAILED\]/,
      );
      assert.is(failed.stdout, '');
    } finally {
      assert.is(await farm.stop(), 0, farm.stderr());
      await dir.cleanup();
    }
  }),
);

test.run();
