/**
 * The main job, end to end: `tally serve --local-workers 1 --demo` on a fresh data directory evaluates
 * the demo repository, builds its jobs in dependency order with the real native builder, fails the
 * broken job and its dependent; a fixing commit turns both green and the weather says so; a second
 * start resumes without recording anything twice.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RecordedEvent } from '../../adapters/eventstore/event-store.ts';
import { dataOf, startFarm } from '../helpers/farm.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('the demo farm');

const forJob = (job: string) => (event: RecordedEvent) =>
  String(dataOf(event).drvPath ?? '').endsWith(`-${job}.drv`);
const succeeded = (job: string) => (event: RecordedEvent) =>
  event.type === 'BuildSucceeded' && forJob(job)(event);
const failed = (job: string) => (event: RecordedEvent) => event.type === 'BuildFailed' && forJob(job)(event);

function commitFix(repo: string): void {
  const file = join(repo, 'tally.jobs.json');
  const jobset = JSON.parse(readFileSync(file, 'utf8'));
  jobset.jobs.broken.args = ['-c', 'echo fixed > $out'];
  writeFileSync(file, JSON.stringify(jobset, null, 2));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t.invalid',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t.invalid',
  };
  execFileSync('git', ['commit', '--quiet', '-am', 'Fix the broken job'], { cwd: repo, env });
}

test(
  'builds the demo, fails what is broken, turns green after a fix, and a restart duplicates nothing',
  withTimeout(150_000, async () => {
    const dir = await tempDir('tally-demo-');
    try {
      const farm = await startFarm(dir.path, ['--local-workers', '1', '--demo']);
      const { events } = farm;
      try {
        await events.waitFor(succeeded('report'), 60_000, 'report built');
        const broken = await events.waitFor(failed('broken'), 30_000, 'broken failed');
        assert.equal(dataOf(broken).reason, { kind: 'exit-code', exitCode: 3 });
        const dependent = await events.waitFor(failed('needs-broken'), 30_000, 'needs-broken failed');
        assert.equal(dataOf(dependent).reason, { kind: 'dependency-failed', root: dataOf(broken).drvPath });

        const reportHash = String(dataOf(await events.waitFor(succeeded('report'))).drvPath)
          .split('/')
          .pop()!
          .slice(0, 32);
        const log = await fetch(`${farm.api}/api/builds/${reportHash}/log`);
        assert.is(log.status, 200);
        assert.match(await log.text(), /report written/);

        // Restarting the failed root brings its dependent back: both run again (and fail again).
        const brokenHash = String(dataOf(broken).drvPath).split('/').pop()!.slice(0, 32);
        const restart = await fetch(`${farm.api}/api/builds/${brokenHash}/restart`, {
          method: 'POST',
          headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ why: 'try again' }),
        });
        assert.ok(restart.status < 300, await restart.text());
        const dependentBack = await events.waitFor(
          (event) => event.type === 'BuildRestarted' && forJob('needs-broken')(event),
          20_000,
          'needs-broken restarted with its root',
        );
        assert.is(dataOf(dependentBack).by, 'scheduler');
        await events.waitFor(
          (event) => failed('needs-broken')(event) && event.position > dependentBack.position,
          30_000,
          'needs-broken failed again with its root',
        );

        commitFix(join(dir.path, 'demo', 'repo'));
        const poll = await fetch(`${farm.api}/api/specs/demo/poll`, {
          method: 'POST',
          headers: { authorization: `Bearer ${farm.token}` },
        });
        assert.ok(poll.status < 300, `poll answered ${poll.status}: ${await poll.text()}`);
        const evaluations = () => events.seen.filter((event) => event.type === 'EvaluationCompleted');
        await events.waitFor(
          (event) => event.type === 'EvaluationCompleted' && evaluations().length >= 2,
          30_000,
          'a second evaluation',
        );
        const fixedBroken = await events.waitFor(
          (event) => succeeded('broken')(event),
          60_000,
          'the fixed broken job built',
        );
        assert.is.not(dataOf(fixedBroken).drvPath, dataOf(broken).drvPath);
        await events.waitFor(succeeded('needs-broken'), 30_000, 'needs-broken built');
        // Weather is read after the projections have seen the last build.
        let weather: Array<{ job: string; weather: string }> = [];
        for (let tries = 0; tries < 50; tries++) {
          const spec = (await (await fetch(`${farm.api}/api/specs/demo`)).json()) as { jobs: typeof weather };
          weather = spec.jobs;
          if (weather.find((job) => job.job === 'needs-broken')?.weather === 'new-success') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const byJob = Object.fromEntries(weather.map((job) => [job.job, job.weather]));
        assert.is(byJob.broken, 'new-success');
        assert.is(byJob['needs-broken'], 'new-success');
        assert.is(byJob.report, 'still-succeeding');
        await events.caughtUp();
      } finally {
        assert.is(await farm.stop(), 0, farm.stderr());
      }
      const before = farm.events.seen.length;
      const countOf = (list: readonly RecordedEvent[], type: string) =>
        list.filter((e) => e.type === type).length;
      const queuedBefore = countOf(farm.events.seen, 'BuildQueued');
      const evaluationsBefore = countOf(farm.events.seen, 'EvaluationRequested');

      const again = await startFarm(dir.path, ['--local-workers', '1', '--demo']);
      try {
        // The restart polls the demo at once; wait until that poll has been answered.
        await again.events.waitFor((event) => event.type === 'WorkerConnected' && event.position > 0, 20_000);
        const poll = await fetch(`${again.api}/api/specs/demo/poll`, {
          method: 'POST',
          headers: { authorization: `Bearer ${farm.token}` },
        });
        assert.ok(poll.status < 300, `${poll.status} ${await poll.clone().text()}`);
        await again.events.caughtUp();
      } finally {
        assert.is(await again.stop(), 0, again.stderr());
      }
      const after = again.events.seen;
      assert.ok(after.length >= before);
      assert.is(countOf(after, 'BuildQueued'), queuedBefore, 'no build queued twice');
      assert.is(countOf(after, 'EvaluationRequested'), evaluationsBefore, 'no evaluation requested twice');
      assert.is(countOf(after, 'SpecificationRegistered'), 1);
      const succeededPerDrv = new Map<string, number>();
      for (const event of after.filter((e) => e.type === 'BuildSucceeded')) {
        const drv = String(dataOf(event).drvPath);
        succeededPerDrv.set(drv, (succeededPerDrv.get(drv) ?? 0) + 1);
      }
      assert.ok(
        [...succeededPerDrv.values()].every((count) => count === 1),
        'every build succeeded once',
      );
    } finally {
      await dir.cleanup();
    }
  }),
);

test.run();
