/**
 * The local worker with the native builder against a real file store: the fixture jobset built in
 * dependency order, logs readable while a build runs, cancellation, and every way an attempt can
 * fail reported as a value.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Assignment } from '../../../adapters/workers/worker-link.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { limits, startWorkerFixture, type WorkerFixture } from './worker-fixture.ts';

const assignment = (attemptId: string, drvPath: string, attempt = 1): Assignment => ({
  attemptId,
  attempt,
  drvPath,
  limits,
});

async function logText(fixture: WorkerFixture, drvPath: string, attempt?: number) {
  const log = await fixture.store.readLog(drvPath, attempt);
  if (!log) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of log.stream) chunks.push(Buffer.from(chunk));
  return { live: log.live, text: Buffer.concat(chunks).toString() };
}

/** Resolves once `check` holds, trying every 10 ms; fails after `ms`. */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const worker = suite<{ fixture: WorkerFixture }>('the local worker');
worker.before.each(async (context) => {
  context.fixture = await startWorkerFixture({ capabilities: { maxJobs: 2 } });
});
worker.after.each(async ({ fixture }) => fixture.cleanup());

worker(
  'builds the jobset in dependency order and registers the outputs with their references',
  withTimeout(30_000, async ({ fixture }) => {
    const { store, reports, jobs } = fixture;
    const [greeting, tree, hello] = ['greeting', 'tree', 'hello'].map((name) => jobs.get(name)!);
    for (const [index, job] of [greeting!, tree!, hello!].entries()) {
      fixture.worker.assign(assignment(`a-${index}`, job.drvPath));
      const outcome = await reports.outcome(`a-${index}`);
      assert.ok(outcome.ok, `${job.name}: ${JSON.stringify(outcome)}`);
      assert.equal(reports.kinds(`a-${index}`), ['started', 'logStored', 'finished']);
    }
    const finished = await reports.next('finished', 'a-2');
    assert.ok(finished.outcome.ok);
    const [out] = finished.outcome.outputs;
    assert.is(out?.path, hello!.outputs.out);
    assert.equal(out?.references, [greeting!.outputs.out!, tree!.outputs.dev!].sort());
    const info = await store.info(hello!.outputs.out!);
    assert.equal(info?.references, out?.references);
    assert.is(info?.deriver, hello!.drvPath);
    assert.is(info?.narHash, out?.narHash);
    assert.is(info?.narSize, out?.narSize);
    assert.ok(await store.has(tree!.outputs.out!));
    assert.ok(await store.has(tree!.outputs.dev!));
    assert.is(readFileSync(greeting!.outputs.out!, 'utf8'), 'Hello, world\n');
  }),
);

worker(
  'makes the log readable while the build runs and keeps it once finished',
  withTimeout(20_000, async ({ fixture }) => {
    const go = join(fixture.root, 'go');
    const drv = await fixture.drv({
      name: 'two-lines',
      script: `echo first line; while [ ! -e ${go} ]; do /bin/sleep 0.05; done; echo second line; echo done > $out`,
    });
    fixture.worker.assign(assignment('live', drv.drvPath));
    await until(async () => (await logText(fixture, drv.drvPath))?.text === 'first line\n');
    const during = await logText(fixture, drv.drvPath);
    assert.equal(during, { live: true, text: 'first line\n' });
    assert.equal(fixture.reports.kinds('live'), ['started']);
    await writeFile(go, '');
    const outcome = await fixture.reports.outcome('live');
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(await logText(fixture, drv.drvPath), { live: false, text: 'first line\nsecond line\n' });
    assert.equal((await fixture.reports.next('logStored', 'live')).bytes, 23);
  }),
);

worker(
  'cancels a running build within a second and kills its process',
  withTimeout(20_000, async ({ fixture }) => {
    const pidFile = join(fixture.root, 'pid');
    const drv = await fixture.drv({ name: 'sleeper', script: `echo $$ > ${pidFile}; exec /bin/sleep 60` });
    fixture.worker.assign(assignment('slow', drv.drvPath));
    let pid = 0;
    await until(async () => {
      pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
      return pid > 0;
    });
    const cancelledAt = Date.now();
    fixture.worker.cancel('slow');
    const finished = await fixture.reports.next('finished', 'slow');
    assert.ok(finished.at - cancelledAt < 1_000, `finished ${finished.at - cancelledAt} ms after the cancel`);
    assert.is(finished.outcome.ok ? 'ok' : finished.outcome.reason, 'cancelled');
    await until(async () => !isAlive(pid), 1_000);
    assert.equal(fixture.reports.kinds('slow'), ['started', 'logStored', 'finished']);
  }),
);

worker(
  'fails an attempt whose input is not valid as an infrastructure failure naming the path',
  withTimeout(20_000, async ({ fixture }) => {
    const hello = fixture.jobs.get('hello')!;
    fixture.worker.assign(assignment('early', hello.drvPath));
    const outcome = await fixture.reports.outcome('early');
    assert.is(outcome.ok ? 'ok' : outcome.reason, 'infrastructure');
    const missing = [
      ...['greeting', 'tree'].flatMap((name) => Object.values(fixture.jobs.get(name)!.outputs)),
    ];
    const message = outcome.ok ? '' : outcome.message;
    assert.ok(
      missing.some((path) => message.includes(`the input ${path} is not valid`)),
      message,
    );
    assert.equal(fixture.reports.kinds('early'), ['finished'], 'nothing started');
  }),
);

worker(
  'reports a failing builder with its exit code and keeps its log',
  withTimeout(20_000, async ({ fixture }) => {
    const drv = await fixture.drv({ name: 'broken', script: 'echo something went wrong >&2; exit 3' });
    fixture.worker.assign(assignment('broken', drv.drvPath));
    const outcome = await fixture.reports.outcome('broken');
    assert.equal(outcome.ok ? 'ok' : [outcome.reason, 'exitCode' in outcome && outcome.exitCode], [
      'exit-code',
      3,
    ]);
    assert.equal(fixture.reports.kinds('broken'), ['started', 'logStored', 'finished']);
    assert.equal(await logText(fixture, drv.drvPath), { live: false, text: 'something went wrong\n' });
    assert.is(await fixture.store.has(drv.out), false);
  }),
);

worker(
  'keeps the log of each attempt and serves the latest by default',
  withTimeout(20_000, async ({ fixture }) => {
    const counter = join(fixture.root, 'count');
    const drv = await fixture.drv({
      name: 'flaky',
      script: `echo x >> ${counter}; echo "try $(/usr/bin/wc -l < ${counter})"; exit 1`,
    });
    fixture.worker.assign(assignment('try-1', drv.drvPath, 1));
    await fixture.reports.outcome('try-1');
    fixture.worker.assign(assignment('try-2', drv.drvPath, 2));
    await fixture.reports.outcome('try-2');
    assert.equal(await logText(fixture, drv.drvPath), { live: false, text: 'try 2\n' });
    assert.equal(await logText(fixture, drv.drvPath, 1), { live: false, text: 'try 1\n' });
  }),
);

worker(
  'refuses an attempt beyond its capacity and runs two at once',
  withTimeout(20_000, async ({ fixture }) => {
    const go = join(fixture.root, 'go');
    const wait = `while [ ! -e ${go} ]; do /bin/sleep 0.05; done; echo ok > $out`;
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map((name) => fixture.drv({ name, script: `echo ${name}; ${wait}` })),
    );
    fixture.worker.assign(assignment('a', a!.drvPath));
    fixture.worker.assign(assignment('b', b!.drvPath));
    fixture.worker.assign(assignment('c', c!.drvPath));
    const refused = await fixture.reports.outcome('c');
    assert.is(refused.ok ? 'ok' : refused.reason, 'infrastructure');
    assert.match(refused.ok ? '' : refused.message, /already runs 2 builds/);
    await fixture.reports.next('started', 'a');
    await fixture.reports.next('started', 'b');
    await writeFile(go, '');
    assert.ok((await fixture.reports.outcome('a')).ok);
    assert.ok((await fixture.reports.outcome('b')).ok);
  }),
);

worker(
  'cancels what runs when it closes, and refuses work afterwards',
  withTimeout(20_000, async ({ fixture }) => {
    const drv = await fixture.drv({ name: 'forever', script: 'echo waiting; exec /bin/sleep 60' });
    fixture.worker.assign(assignment('forever', drv.drvPath));
    await fixture.reports.next('started', 'forever');
    await until(async () => (await logText(fixture, drv.drvPath))?.text === 'waiting\n');
    await fixture.worker.close();
    const outcome = await fixture.reports.outcome('forever');
    assert.is(outcome.ok ? 'ok' : outcome.reason, 'cancelled');
    assert.equal(await logText(fixture, drv.drvPath), { live: false, text: 'waiting\n' });
    fixture.worker.assign(assignment('late', drv.drvPath, 2));
    const late = await fixture.reports.outcome('late');
    assert.match(late.ok ? '' : late.message, /shutting down/);
  }),
);

const throwing = suite('the local worker with a builder that throws');

throwing(
  'reports the exception as an infrastructure failure and ends the log with it',
  withTimeout(20_000, async () => {
    const fixture = await startWorkerFixture({
      builder: {
        name: 'throwing',
        async build(request) {
          request.onLog?.(new TextEncoder().encode('about to break\n'));
          throw new Error('the disk went away');
        },
      },
    });
    try {
      const greeting = fixture.jobs.get('greeting')!;
      fixture.worker.assign(assignment('throws', greeting.drvPath));
      const outcome = await fixture.reports.outcome('throws');
      assert.is(outcome.ok ? 'ok' : outcome.reason, 'infrastructure');
      assert.match(outcome.ok ? '' : outcome.message, /the disk went away/);
      assert.equal(fixture.reports.kinds('throws'), ['started', 'logStored', 'finished']);
      const log = await logText(fixture, greeting.drvPath);
      assert.match(log?.text ?? '', /^about to break\n\ntally: .*the disk went away\n$/);
    } finally {
      await fixture.cleanup();
    }
  }),
);

worker.run();
throwing.run();
