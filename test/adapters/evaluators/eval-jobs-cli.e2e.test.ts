import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tally } from '../../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

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
    } finally {
      await dir.cleanup();
    }
  }),
);

cli.run();
