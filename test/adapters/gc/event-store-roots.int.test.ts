import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { createEventStoreRootSource } from '../../../adapters/gc/event-store-roots.ts';
import { type Derivation, printDerivation } from '../../../domain/derivation/index.ts';
import { envelop } from '../../../domain/envelope.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import type { Specification } from '../../../domain/specification/index.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { tempDir, withTimeout } from '../../helpers/uvu.ts';

const at = '2026-11-23T12:00:00Z';
const spec = (name: string, active: boolean): Specification => ({
  name,
  channels: [{ name: 'main', url: 'file:///srv/demo.git', branch: 'main' }],
  evaluator: { kind: 'native', entry: 'tally.jobs.json' },
  systems: ['x86_64-linux'],
  priority: 1,
  pollingPeriodSeconds: 60,
  buildLimits: { timeoutSeconds: 600, maxSilentSeconds: 60, maxLogBytes: 1 << 20 },
  retries: 1,
  keepEvaluations: 1,
  active,
});
const h = (c: string) => c.repeat(32);

function evaluation(id: string, specName: string, out: string): TallyEvent[] {
  return [
    {
      type: 'EvaluationRequested',
      data: {
        evaluationId: id,
        spec: specName,
        trigger: { kind: 'manual' },
        checkouts: [
          {
            channel: 'main',
            url: 'file:///srv/demo.git',
            branch: 'main',
            commit: 'a'.repeat(40),
            commitTime: at,
          },
        ],
      },
    },
    {
      type: 'EvaluationJobsAdded',
      data: {
        evaluationId: id,
        chunk: 0,
        jobs: [{ name: 'hello', system: 'x86_64-linux', drvPath: `${out}.drv`, outputs: { out } }],
      },
    },
    { type: 'EvaluationCompleted', data: { evaluationId: id, jobCount: 1, durationMs: 5 } },
  ] as TallyEvent[];
}

const test = suite<{
  ledger: TestLedger;
  events: EventStore;
  dir: { path: string; cleanup(): Promise<void> };
}>('createEventStoreRootSource');
test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.events = await connectEventStore(context.ledger.ledger.url);
  context.dir = await tempDir('tally-gc-roots-');
});
test.after.each(async (context) => {
  await context.events.close();
  await context.ledger.stop();
  await context.dir.cleanup();
});

test(
  "roots the latest evaluations of active specs and an unfinished build's inputs",
  withTimeout(10_000, async ({ events, dir }) => {
    const storeDir = join(dir.path, 'nix', 'store');
    await mkdir(storeDir, { recursive: true });
    const p = (hash: string, name: string) => `${storeDir}/${hash}-${name}`;
    const append = async (stream: string, list: TallyEvent[]) => {
      const envelopes = envelop(list, { cause: { kind: 'command', id: stream }, actor: 'system', at });
      await events.append(
        stream,
        envelopes.map(({ id, type, data, metadata }) => ({ id, type, data, metadata: { ...metadata } })),
        'any',
      );
    };
    const inputDrv: Derivation = {
      name: 'lib',
      outputs: new Map([['out', { path: p(h('1'), 'lib'), hashAlgo: '', hash: '' }]]),
      inputDrvs: new Map(),
      inputSrcs: [],
      system: 'x86_64-linux',
      builder: '/bin/sh',
      args: [],
      env: new Map(),
    };
    const built: Derivation = {
      ...inputDrv,
      name: 'app',
      outputs: new Map([['out', { path: p(h('2'), 'app'), hashAlgo: '', hash: '' }]]),
      inputDrvs: new Map([[p(h('3'), 'lib.drv'), ['out']]]),
      inputSrcs: [p(h('4'), 'src')],
    };
    await writeFile(p(h('3'), 'lib.drv'), printDerivation(inputDrv));
    await writeFile(p(h('5'), 'app.drv'), printDerivation(built));

    await append('spec-demo', [
      { type: 'SpecificationRegistered', data: { spec: spec('demo', true) } },
    ] as TallyEvent[]);
    await append('spec-off', [
      { type: 'SpecificationRegistered', data: { spec: spec('off', false) } },
    ] as TallyEvent[]);
    await append('eval-e1', evaluation('e1', 'demo', p(h('6'), 'old')));
    await append('eval-e2', evaluation('e2', 'demo', p(h('7'), 'new')));
    await append('eval-e3', evaluation('e3', 'off', p(h('8'), 'off')));
    await append(`build-${h('5')}`, [
      {
        type: 'BuildQueued',
        data: {
          drvPath: p(h('5'), 'app.drv'),
          system: 'x86_64-linux',
          wantedBy: [],
          priority: 1,
          dependencies: [],
        },
      },
    ] as TallyEvent[]);

    const roots = new Set(await createEventStoreRootSource(events).liveRoots());
    for (const kept of [
      p(h('7'), 'new'),
      p(h('5'), 'app.drv'),
      p(h('3'), 'lib.drv'),
      p(h('1'), 'lib'),
      p(h('4'), 'src'),
    ])
      assert.ok(roots.has(kept), `${kept} is a root`);
    for (const dropped of [p(h('6'), 'old'), p(h('8'), 'off')])
      assert.not.ok(roots.has(dropped), `${dropped} is not a root`);
    const more = new Set(await createEventStoreRootSource(events, { minKeepEvaluations: 2 }).liveRoots());
    assert.ok(more.has(p(h('6'), 'old')));
  }),
);

test.run();
