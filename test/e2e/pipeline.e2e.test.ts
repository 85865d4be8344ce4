/**
 * The pipeline end to end, with real git repositories made here, the real `tally serve` process and
 * its local worker: specifications registered over HTTP, commits polled, evaluations built; shared
 * derivations built once; a WIP branch appears and goes; a forged webhook is refused; a coordinator
 * killed mid-build finishes every build exactly once after a restart; a hanging or lying evaluator
 * fails its evaluation while the rest goes on.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostSystem } from '../../adapters/builders/native/native-builder.ts';
import type { RecordedEvent } from '../../adapters/eventstore/event-store.ts';
import { parsePublicKey, verifyDetached } from '../../domain/derivation/signing.ts';
import { startReceiver } from '../adapters/notifications/receiver.ts';
import { dataOf, type RunningFarm, startFarm } from '../helpers/farm.ts';
import { tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

const test = suite('the pipeline');
const system = hostSystem();

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t.invalid',
};
const git = (repo: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8' }).trim();

/** A repository whose `main` holds `files`, committed. */
function makeRepo(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '--quiet', '--initial-branch=main');
  writeFiles(dir, files);
  git(dir, 'add', '.');
  git(dir, 'commit', '--quiet', '-m', 'first');
  return dir;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
    if (content.startsWith('#!')) chmodSync(join(dir, path), 0o755);
  }
}

function jobset(jobs: Record<string, object>): string {
  const withSystem = Object.fromEntries(
    Object.entries(jobs).map(([name, job]) => [name, { system, builder: '/bin/sh', ...job }]),
  );
  return JSON.stringify({ jobs: withSystem }, null, 2);
}

async function register(farm: RunningFarm, spec: object): Promise<void> {
  const response = await fetch(`${farm.api}/api/specs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ pollingPeriodSeconds: 0, systems: [system], ...spec }),
  });
  assert.ok(response.status < 300, `registering answered ${response.status}: ${await response.text()}`);
}

async function poll(farm: RunningFarm, spec: string): Promise<void> {
  const response = await fetch(`${farm.api}/api/specs/${spec}/poll`, {
    method: 'POST',
    headers: { authorization: `Bearer ${farm.token}` },
  });
  assert.ok(response.status < 300, `polling ${spec} answered ${response.status}: ${await response.text()}`);
}

const drvOf = (event: RecordedEvent) => String(dataOf(event).drvPath ?? '');
const is = (type: string, job: string) => (event: RecordedEvent) =>
  event.type === type && drvOf(event).endsWith(`-${job}.drv`);

test(
  'two specifications sharing derivations build them once; a WIP branch is built and forgotten; a forged webhook is refused',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-pipeline-');
    const shared = { greeting: { args: ['-c', 'echo shared > $out'] } };
    const one = makeRepo(join(dir.path, 'one'), {
      'tally.jobs.json': jobset({ ...shared, own: { args: ['-c', 'echo one > $out'] } }),
    });
    const two = makeRepo(join(dir.path, 'two'), { 'tally.jobs.json': jobset(shared) });
    const farm = await startFarm(join(dir.path, 'data'), ['--local-workers', '1']);
    const receiver = await startReceiver([200]);
    try {
      const evaluator = { kind: 'native', entry: 'tally.jobs.json' };
      await register(farm, {
        name: 'one',
        channels: [{ name: 'main', url: one, branch: 'main' }],
        evaluator,
        notifications: [{ kind: 'webhook', url: receiver.url }],
      });
      await register(farm, {
        name: 'two',
        channels: [{ name: 'main', url: two, branch: 'main' }],
        evaluator,
      });
      await poll(farm, 'one');
      await farm.events.waitFor(is('BuildSucceeded', 'own'), 30_000, 'own built');
      await farm.events.waitFor(is('BuildSucceeded', 'greeting'), 30_000, 'greeting built');
      // Its evaluation ended: its webhook is told, signed with the farm's key.
      await receiver.received(1, 20_000);
      const report = receiver.requests[0]!;
      const farmKey = parsePublicKey(await readFile(join(dir.path, 'data', 'keys', 'farm.public'), 'utf8'));
      assert.ok(verifyDetached(report.body, String(report.headers['x-tally-signature']), [farmKey]));
      assert.equal(
        (({ spec, outcome, evaluation }) => [spec, outcome, evaluation.counts.succeeded])(
          JSON.parse(report.body),
        ),
        ['one', 'succeeded', 2],
      );
      await farm.events.waitFor(
        (event) => event.type === 'NotificationSent',
        10_000,
        'the delivery recorded',
      );
      await poll(farm, 'two');
      // greeting had been built: two's evaluation records it reused, on its own stream.
      const reused = await farm.events.waitFor(
        (event) => event.type === 'EvaluationBuildsReused' && dataOf(event).spec === 'two',
        30_000,
        'greeting reused by two',
      );
      assert.equal(
        (dataOf(reused).builds as Array<{ drvPath: string; jobs: string[] }>).map(({ drvPath, jobs }) => [
          drvPath.slice(drvPath.lastIndexOf('-') + 1),
          jobs,
        ]),
        [['greeting.drv', ['greeting']]],
      );
      await farm.events.caughtUp();
      // The API counts two's job among the build's wanters all the same.
      const hash = drvOf(farm.events.seen.find(is('BuildQueued', 'greeting'))!)
        .split('/')
        .pop()!
        .split('-')[0]!;
      const build = (await (await fetch(`${farm.api}/api/builds/${hash}`)).json()) as {
        wantedBy: Array<{ spec: string; job: string }>;
      };
      assert.equal(build.wantedBy.map((wanter) => `${wanter.spec}/${wanter.job}`).sort(), [
        'one/greeting',
        'two/greeting',
      ]);
      assert.is(farm.events.seen.filter(is('BuildQueued', 'greeting')).length, 1, 'one build of greeting');
      assert.is(farm.events.seen.filter(is('BuildDispatched', 'greeting')).length, 1, 'built once');

      // A branch pattern: every wip-* branch is its own line of evaluations.
      const wip = makeRepo(join(dir.path, 'wip'), {
        'tally.jobs.json': jobset({ base: { args: ['-c', 'echo base > $out'] } }),
      });
      git(wip, 'checkout', '--quiet', '-b', 'wip-feature');
      writeFiles(wip, { 'tally.jobs.json': jobset({ feature: { args: ['-c', 'echo feature > $out'] } }) });
      git(wip, 'commit', '--quiet', '-am', 'feature');
      git(wip, 'checkout', '--quiet', 'main');
      await register(farm, {
        name: 'wip',
        channels: [{ name: 'main', url: wip, branchPattern: 'wip-*' }],
        evaluator,
      });
      await poll(farm, 'wip');
      await farm.events.waitFor(is('BuildSucceeded', 'feature'), 30_000, 'the WIP branch built');
      assert.not.ok(farm.events.seen.some(is('BuildQueued', 'base')), 'main does not match wip-*');
      git(wip, 'branch', '--quiet', '-D', 'wip-feature');
      await poll(farm, 'wip');
      const deleted = await farm.events.waitFor(
        (event) => event.type === 'BranchDeleted',
        20_000,
        'BranchDeleted',
      );
      assert.is(dataOf(deleted).branch, 'wip-feature');

      const unsigned = await fetch(`${farm.api}/api/hooks/one`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.is(unsigned.status, 403, 'no secret yet: the hook says how to make one');
      assert.match(await unsigned.text(), /tally hook secret one/);
      const made = await tally(['hook', 'secret', 'one', '--data', join(dir.path, 'data')]);
      assert.is(made.code, 0, made.stderr);
      const secret = made.stdout.trim();
      const forged = await fetch(`${farm.api}/api/hooks/one`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
        },
        body: JSON.stringify({ ref: 'refs/heads/main' }),
      });
      assert.is(forged.status, 401);
      assert.match(await forged.text(), /TALLY_HOOK_BAD_SIGNATURE/);
      writeFiles(one, {
        'tally.jobs.json': jobset({ ...shared, own: { args: ['-c', 'echo pushed > $out'] } }),
      });
      git(one, 'commit', '--quiet', '-am', 'pushed');
      const body = JSON.stringify({ ref: 'refs/heads/main', after: git(one, 'rev-parse', 'HEAD') });
      const signature = createHmac('sha256', secret).update(body).digest('hex');
      const pushed = await fetch(`${farm.api}/api/hooks/one`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitea-signature': signature },
        body,
      });
      assert.is(pushed.status, 202, await pushed.text());
      const requested = await farm.events.waitFor(
        (event) =>
          event.type === 'EvaluationRequested' &&
          (dataOf(event).trigger as { kind: string }).kind === 'webhook',
        20_000,
        'an evaluation requested by the webhook',
      );
      assert.equal(dataOf(requested).trigger, { kind: 'webhook', by: 'gitea' });
      const tampered = await fetch(`${farm.api}/api/hooks/one`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitea-signature': signature },
        body: body.replace('main', 'evil'),
      });
      assert.is(tampered.status, 401);
    } finally {
      assert.is(await farm.stop(), 0, farm.stderr());
      await receiver.close();
      await dir.cleanup();
    }
  }),
);

test(
  'a coordinator killed mid-build and started again finishes every build exactly once',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-pipeline-');
    const repo = makeRepo(join(dir.path, 'repo'), {
      'tally.jobs.json': jobset({
        slow: { args: ['-c', 'echo begun; /bin/sleep 4; echo slow > $out'] },
        after: { args: ['-c', '/bin/cat @{job:slow} > $out'], inputs: ['slow'] },
      }),
    });
    const data = join(dir.path, 'data');
    const first = await startFarm(data, ['--local-workers', '1']);
    try {
      await register(first, {
        name: 'crash',
        channels: [{ name: 'main', url: repo, branch: 'main' }],
        evaluator: { kind: 'native', entry: 'tally.jobs.json' },
      });
      await poll(first, 'crash');
      await first.events.waitFor(is('BuildStarted', 'slow'), 30_000, 'slow started');
    } finally {
      await first.kill();
    }
    const second = await startFarm(data, ['--local-workers', '1']);
    try {
      await second.events.waitFor(is('BuildSucceeded', 'after'), 60_000, 'after built');
      await second.events.caughtUp();
      const seen = second.events.seen;
      const requeued = seen.find(is('BuildRequeued', 'slow'));
      assert.ok(requeued, 'the orphaned attempt was requeued');
      assert.is(dataOf(requeued).why, 'coordinator-restart');
      for (const job of ['slow', 'after']) {
        assert.is(seen.filter(is('BuildSucceeded', job)).length, 1, `${job} succeeded once`);
        assert.is(seen.filter(is('BuildFailed', job)).length, 0, `${job} never failed`);
      }
      assert.is(seen.filter(is('BuildQueued', 'slow')).length, 1);
    } finally {
      assert.is(await second.stop(), 0, second.stderr());
      await dir.cleanup();
    }
  }),
);

test(
  'an evaluator that hangs, eats memory or prints garbage fails its evaluation while another specification builds',
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-pipeline-');
    const hangs = makeRepo(join(dir.path, 'hangs'), { 'jobs.sh': '#!/bin/sh\nexec /bin/sleep 600\n' });
    const garbage = makeRepo(join(dir.path, 'garbage'), {
      'jobs.sh': '#!/bin/sh\necho "this is not json {"\n',
    });
    const hog = makeRepo(join(dir.path, 'hog'), {
      'jobs.sh': `#!${process.execPath}\nconst kept = [];\nfor (;;) kept.push(Buffer.alloc(1 << 24, 1));\n`,
    });
    const good = makeRepo(join(dir.path, 'good'), {
      'tally.jobs.json': jobset({ fine: { args: ['-c', 'echo fine > $out'] } }),
    });
    const farm = await startFarm(join(dir.path, 'data'), [
      '--local-workers',
      '1',
      // Long enough for the others to finish on a busy machine, short enough for the one that hangs.
      '--eval-timeout',
      '15',
      '--eval-memory',
      '1024',
    ]);
    try {
      const program = { kind: 'native', entry: 'jobs.sh' };
      await register(farm, {
        name: 'hangs',
        channels: [{ name: 'main', url: hangs, branch: 'main' }],
        evaluator: program,
      });
      await register(farm, {
        name: 'garbage',
        channels: [{ name: 'main', url: garbage, branch: 'main' }],
        evaluator: program,
      });
      await register(farm, {
        name: 'hog',
        channels: [{ name: 'main', url: hog, branch: 'main' }],
        evaluator: program,
      });
      await register(farm, {
        name: 'good',
        channels: [{ name: 'main', url: good, branch: 'main' }],
        evaluator: { kind: 'native', entry: 'tally.jobs.json' },
      });
      await poll(farm, 'hangs');
      await poll(farm, 'garbage');
      await poll(farm, 'hog');
      await poll(farm, 'good');
      await farm.events.waitFor(is('BuildSucceeded', 'fine'), 30_000, 'the good spec built');
      const failures = async (count: number) =>
        farm.events.waitFor(
          () => farm.events.seen.filter((event) => event.type === 'EvaluationFailed').length >= count,
          60_000,
          `${count} failed evaluations`,
        );
      await failures(3);
      const reasons = farm.events.seen
        .filter((event) => event.type === 'EvaluationFailed')
        .map((event) => dataOf(event).reason)
        .sort();
      assert.equal(reasons, ['evaluator-error', 'out-of-memory', 'timed-out'].sort());
      for (const failed of farm.events.seen.filter((event) => event.type === 'EvaluationFailed')) {
        const log = await fetch(`${farm.api}/api/evaluations/${dataOf(failed).evaluationId}/log`);
        assert.is(log.status, 200);
        const text = await log.text();
        assert.ok(
          text.startsWith(String(dataOf(failed).message)),
          `the log begins with the failure: ${text}`,
        );
        const expected = { 'timed-out': /time|15000|15 s/i, 'out-of-memory': /allocation failed/i };
        assert.match(text, expected[dataOf(failed).reason as keyof typeof expected] ?? /json|parse|jobs/i);
      }
      const missing = await fetch(`${farm.api}/api/evaluations/no-such-evaluation/log`);
      assert.is(missing.status, 404);
      assert.match(await missing.text(), /TALLY_API_LOG_NOT_STORED/);
    } finally {
      assert.is(await farm.stop(), 0, farm.stderr());
      await dir.cleanup();
    }
  }),
);

test(
  "a running build's log is readable while it runs; cancelling it kills the builder and frees the worker",
  withTimeout(120_000, async () => {
    const dir = await tempDir('tally-pipeline-');
    const repo = makeRepo(join(dir.path, 'repo'), {
      'tally.jobs.json': jobset({
        long: { args: ['-c', 'echo begun; /bin/sleep 60; echo never > $out'] },
        flaky: { args: ['-c', '/bin/cat @{source:marker} > $out'], sources: ['marker'] },
        child: { args: ['-c', '/bin/cat @{job:flaky} > $out'], inputs: ['flaky'] },
      }),
      marker: 'present\n',
    });
    const farm = await startFarm(join(dir.path, 'data'), ['--local-workers', '1']);
    try {
      await register(farm, {
        name: 'live',
        channels: [{ name: 'main', url: repo, branch: 'main' }],
        evaluator: { kind: 'native', entry: 'tally.jobs.json' },
      });
      await poll(farm, 'live');
      const started = await farm.events.waitFor(is('BuildStarted', 'long'), 30_000, 'long started');
      const id = drvOf(started).split('/').pop()!.slice(0, 32);
      let text = '';
      let live = '';
      for (let tries = 0; tries < 100 && !text.includes('begun'); tries++) {
        const log = await fetch(`${farm.api}/api/builds/${id}/log`);
        live = log.headers.get('x-tally-log-live') ?? '';
        text = await log.text();
        if (!text.includes('begun')) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.match(text, /begun/);
      assert.is(live, 'true', 'the log is served while the build runs');
      const cancelled = await fetch(`${farm.api}/api/builds/${id}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ why: 'testing cancel' }),
      });
      assert.ok(cancelled.status < 300, await cancelled.text());
      await farm.events.waitFor(is('BuildCancelled', 'long'), 10_000, 'long cancelled');
      // The worker is free again: the next builds run (the slot was not kept by a dead builder).
      await farm.events.waitFor(is('BuildDispatched', 'flaky'), 20_000, 'the next build dispatched');
      await farm.events.waitFor(is('BuildSucceeded', 'child'), 30_000, 'child built');
      assert.not.ok(farm.events.seen.some(is('BuildSucceeded', 'long')));
      assert.not.ok(farm.events.seen.some(is('BuildFailed', 'long')), 'a cancelled build is not also failed');
    } finally {
      assert.is(await farm.stop(), 0, farm.stderr());
      await dir.cleanup();
    }
  }),
);

test.run();
