/**
 * `GET /api/builds/:id/log` over a real file store that a real local worker writes: the log served
 * while the build runs, followed until the attempt ends, and each attempt's log by number.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../adapters/eventstore/read-domain-event.ts';
import { buildApp, type TallyApp } from '../../api/app.ts';
import { storePathBaseName } from '../../domain/derivation/index.ts';
import { allProjections } from '../../projections/catalogue.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../projections/runtime/snapshot-store.ts';
import { limits, startWorkerFixture, type WorkerFixture } from '../adapters/workers/worker-fixture.ts';
import { startTestLedger, type TestLedger } from '../helpers/ledger.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { FarmHistory } from '../projections/fixtures/farm-history.ts';

interface Context {
  ledger: TestLedger;
  events: EventStore;
  runner: ProjectionRunner;
  app: TallyApp;
  workers: WorkerFixture;
  farm: FarmHistory;
  appended: number;
}

const quiet = pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' });

/** Appends the farm's events not appended yet and waits until the read models have folded them. */
async function publish(context: Context): Promise<void> {
  let last: number | undefined;
  for (const { streamId, event, metadata } of context.farm.events.slice(context.appended)) {
    const result = await context.events.append(
      streamId,
      [{ type: event.type, data: event.data as unknown, metadata: { ...metadata } }],
      'any',
    );
    last = result.position;
  }
  context.appended = context.farm.events.length;
  if (last !== undefined) await context.runner.waitFor(last, 10_000);
}

/** Resolves once `check` holds, trying every 10 ms; fails after `ms`. */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const logUrl = (drvPath: string, query = '') =>
  `/api/builds/${storePathBaseName(drvPath).slice(0, 32)}/log${query}`;

const test = suite<Context>('the build log route with a local worker');

test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.events = await connectEventStore(context.ledger.ledger.url);
  context.runner = createProjectionRunner({
    source: context.events,
    projections: allProjections,
    decode: decodeRecorded,
    snapshots: createMemorySnapshotStore(),
    logger: quiet,
  });
  await context.runner.start();
  context.workers = await startWorkerFixture();
  context.app = await buildApp({
    eventStore: context.events,
    projections: context.runner,
    dataDir: context.workers.root,
    logger: quiet,
    processMetrics: false,
    logs: context.workers.store,
  });
  await context.app.ready();
  context.farm = new FarmHistory();
  context.appended = 0;
});

test.after.each(async (context) => {
  await context.app.close();
  await context.workers.cleanup();
  await context.runner.stop();
  await context.events.close();
  await context.ledger.stop();
});

test(
  'serves the log while the build runs, follows it until the attempt ends, then serves it finished',
  withTimeout(30_000, async (context) => {
    const { app, farm, workers } = context;
    const go = join(workers.root, 'go');
    const drv = await workers.drv({
      name: 'two-lines',
      script: `echo first line; while [ ! -e ${go} ]; do /bin/sleep 0.05; done; echo second line; echo ok > $out`,
    });
    farm.queueBuild(drv.drvPath, { outputs: { out: drv.out } });
    const attemptId = farm.dispatch(drv.drvPath, 'local-1');
    farm.startBuild(drv.drvPath);
    await publish(context);
    workers.worker.assign({ attemptId, attempt: 1, drvPath: drv.drvPath, limits });
    await until(async () => (await app.inject({ url: logUrl(drv.drvPath) })).body === 'first line\n');

    const during = await app.inject({ url: logUrl(drv.drvPath) });
    assert.is(during.statusCode, 200);
    assert.match(String(during.headers['content-type']), /^text\/plain/);
    assert.is(during.headers['x-tally-log-live'], 'true');
    assert.is(during.headers['x-tally-log-attempt'], '1');

    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const followed = await fetch(`${address}${logUrl(drv.drvPath, '?follow=1')}`);
    assert.is(followed.headers.get('x-tally-log-live'), 'true');
    const reader = followed.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (received !== 'first line\n') received += decoder.decode((await reader.read()).value);
    await writeFile(go, '');
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      received += decoder.decode(chunk.value);
    }
    assert.is(received, 'first line\nsecond line\n', 'the followed log ends with the attempt');

    const outcome = await workers.reports.outcome(attemptId);
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const after = await app.inject({ url: logUrl(drv.drvPath) });
    assert.is(after.headers['x-tally-log-live'], 'false');
    assert.is(after.body, 'first line\nsecond line\n');
    const finishedFollow = await app.inject({ url: logUrl(drv.drvPath, '?follow=true&attempt=1') });
    assert.is(finishedFollow.body, 'first line\nsecond line\n', 'following a finished log reads it whole');
  }),
);

test(
  'serves the latest attempt by default and an earlier one by number',
  withTimeout(30_000, async (context) => {
    const { app, farm, workers } = context;
    const counter = join(workers.root, 'count');
    const drv = await workers.drv({
      name: 'flaky',
      script: `echo x >> ${counter}; echo "try $(/usr/bin/wc -l < ${counter})"; exit 1`,
    });
    farm.queueBuild(drv.drvPath, { outputs: { out: drv.out } });
    for (const attempt of [1, 2]) {
      const attemptId = farm.dispatch(drv.drvPath, 'local-1');
      farm.startBuild(drv.drvPath);
      workers.worker.assign({ attemptId, attempt, drvPath: drv.drvPath, limits });
      await workers.reports.outcome(attemptId);
      if (attempt === 1) farm.requeue(drv.drvPath, 'retry-after-backoff');
    }
    await publish(context);
    const latest = await app.inject({ url: logUrl(drv.drvPath) });
    assert.is(latest.body, 'try 2\n');
    assert.is(latest.headers['x-tally-log-attempt'], '2');
    assert.is(latest.headers['x-tally-log-live'], 'false');
    const first = await app.inject({ url: logUrl(drv.drvPath, '?attempt=1') });
    assert.is(first.body, 'try 1\n');
    const missing = await app.inject({ url: logUrl(drv.drvPath, '?attempt=3') });
    assert.is(missing.statusCode, 404);
    assert.match(missing.body, /TALLY_API_LOG_NOT_STORED/);
    const badFollow = await app.inject({ url: logUrl(drv.drvPath, '?follow=maybe') });
    assert.is(badFollow.statusCode, 400);
  }),
);

test.run();
