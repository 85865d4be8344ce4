import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { finished, startTally, tally } from '../../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';
import { sleepers, uniqueSleep, until } from '../builders/processes.ts';

const fixture = new URL('../../fixtures/jobsets/graph', import.meta.url).pathname;
const cli = suite('tally eval-jobs');

cli(
  'prints the jobs of a checkout, one per line',
  withTimeout(30_000, async () => {
    const run = await tally(['eval-jobs', fixture]);
    assert.is(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(
      lines.map((line) => line.split('\t')[0]),
      ['greeting', 'tree', 'hello', 'elsewhere'],
    );
    assert.match(
      lines[2]!,
      /^hello\tx86_64-linux\t\/nix\/store\/[0-9a-z]{32}-hello-1\.0\.drv\tout=\/nix\/store\//,
    );
  }),
);

cli(
  'prints JSON for programs, for the store directory and systems asked for',
  withTimeout(30_000, async () => {
    const run = await tally([
      'eval-jobs',
      fixture,
      '--json',
      '--store-dir',
      '/srv/store',
      '--system',
      'aarch64-linux',
      '--system',
      'riscv64-linux',
    ]);
    assert.is(run.code, 0, run.stderr);
    const answer = JSON.parse(run.stdout);
    assert.equal(
      answer.jobs.map((job: { name: string }) => job.name),
      ['elsewhere'],
    );
    assert.match(answer.jobs[0].drvPath, /^\/srv\/store\//);
  }),
);

cli(
  'fails with exit code 1 and a message naming the job and field',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-eval-cli-');
    try {
      writeFileSync(join(dir.path, 'tally.jobs.json'), JSON.stringify({ jobs: { a: { system: 'x' } } }));
      const run = await tally(['eval-jobs', dir.path]);
      assert.is(run.code, 1);
      assert.match(run.stderr, /failed \(malformed-jobset\): job 'a', field 'builder': is required/);
      const outside = await tally(['eval-jobs', dir.path, '--entry', '../../../../../../../no-such-file']);
      assert.is(outside.code, 1);
      assert.match(
        outside.stderr,
        /'..\/..\/..\/..\/..\/..\/..\/no-such-file' is outside the checkout: name a file inside it/,
      );
      const file = await tally(['eval-jobs', join(dir.path, 'tally.jobs.json')]);
      assert.is(file.code, 1);
      assert.match(
        file.stderr,
        /tally\.jobs\.json is a file: give the checkout's directory \[TALLY_CLI_INVALID_OPTION\]/,
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

cli(
  'takes the directory after --system, which is given once per system',
  withTimeout(30_000, async () => {
    const run = await tally(['eval-jobs', '--system', 'aarch64-linux', fixture]);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, /^elsewhere\taarch64-linux\t/);
  }),
);

cli(
  'stops the evaluation and its programs on SIGINT',
  withTimeout(30_000, async () => {
    const dir = await tempDir('tally-eval-cli-');
    try {
      // Found by its command line: in the evaluator's pid namespace, the pid it could print means nothing here.
      const duration = uniqueSleep();
      writeFileSync(join(dir.path, 'jobs.sh'), `#!/bin/sh\nexec /bin/sleep ${duration}\n`, { mode: 0o755 });
      const child = startTally(['eval-jobs', dir.path, '--entry', 'jobs.sh']);
      const done = finished(child);
      await until(() => sleepers(duration).length > 0, 20_000, 'the jobs program to start');
      child.kill('SIGINT');
      const run = await done;
      assert.is(run.code, 130, run.stderr);
      assert.match(run.stderr, /the evaluation was stopped \(SIGINT\), and its programs with it/);
      await until(() => sleepers(duration).length === 0, 5000, 'the jobs program to be killed');
    } finally {
      await dir.cleanup();
    }
  }),
);

cli.run();
