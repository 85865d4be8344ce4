import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { type BuildCommand, buildDecider } from '../../../domain/build/index.ts';
import { type Specification, specificationDecider } from '../../../domain/specification/index.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { collect, rejects, withTimeout } from '../../helpers/uvu.ts';

const spec: Specification = {
  name: 'demo',
  channels: [{ name: 'demo', url: 'file:///srv/demo.git', branch: 'main' }],
  evaluator: { kind: 'native', entry: 'tally.jobs.json' },
  systems: ['x86_64-linux'],
  priority: 1,
  pollingPeriodSeconds: 60,
  buildLimits: { timeoutSeconds: 600, maxSilentSeconds: 60, maxLogBytes: 1 << 20 },
  retries: 1,
  keepEvaluations: 3,
  active: true,
};
const at = '2026-11-23T12:00:00Z';
const options = {};
const context = (id: string) => ({
  cause: { kind: 'command', id } as const,
  actor: 'user:alice' as const,
  at,
});

const test = suite<{ ledger: TestLedger; store: EventStore }>('handleCommand');
test.before.each(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
});
test.after.each(async (context) => {
  await context.store.close();
  await context.ledger.stop();
});

test(
  'appends what the domain decided, with metadata and ids derived from the cause',
  withTimeout(5000, async ({ store }) => {
    const handled = await handleCommand(
      store,
      specificationDecider,
      'spec-demo',
      { type: 'RegisterSpecification', spec, at, actor: 'user:alice' },
      context('c-1'),
      options,
    );
    assert.equal(
      handled.events.map((e) => e.type),
      ['SpecificationRegistered'],
    );
    assert.is(handled.revision, 0);
    const [stored] = await collect(store.readStream('spec-demo'));
    assert.equal(stored!.metadata, {
      schemaVersion: 1,
      correlationId: 'c-1',
      causationId: 'c-1',
      actor: 'user:alice',
      at,
    });
    assert.match(stored!.id, /^[0-9a-f-]{36}$/);
  }),
);

test(
  'refuses a command the domain rejects, writing nothing',
  withTimeout(5000, async ({ store }) => {
    const register = { type: 'RegisterSpecification', spec, at, actor: 'user:alice' } as const;
    await handleCommand(store, specificationDecider, 'spec-demo', register, context('c-1'), options);
    await rejects(
      handleCommand(store, specificationDecider, 'spec-demo', register, context('c-2'), options),
      (e) => (e as { code?: string }).code === 'TALLY_SPEC_ALREADY_EXISTS',
    );
    assert.is((await collect(store.readStream('spec-demo'))).length, 1);
  }),
);

test(
  'refuses a decided event its schema rejects, so the stream stays readable and the build can go on',
  withTimeout(5000, async ({ store }) => {
    const drvPath = '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello.drv';
    const stream = 'build-0123456789abcdfghijklmnpqrsvwxyz';
    const command = <T>(fields: T) => ({ ...fields, drvPath, at, actor: 'worker:w1' as const });
    const handle = (fields: Record<string, unknown>, id: string) =>
      handleCommand(
        store,
        buildDecider,
        stream,
        command(fields) as unknown as BuildCommand,
        context(id),
        options,
      );
    await handle(
      { type: 'QueueBuild', system: 'x86_64-linux', priority: 0, wantedBy: [], dependencies: [] },
      'q',
    );
    await handle(
      { type: 'DispatchBuild', attemptId: 'a1', worker: { name: 'w1', systems: ['x86_64-linux'] } },
      'd',
    );
    // A worker reporting success with no outputs: the decider takes it, the event's schema does not.
    await rejects(
      handle(
        { type: 'SucceedBuild', attemptId: 'a1', outputs: [], timings: { startedAt: at, finishedAt: at } },
        's',
      ),
      (error) => (error as { code?: string }).code === 'TALLY_EVENT_INVALID',
    );
    assert.is((await collect(store.readStream(stream))).length, 2, 'nothing recorded');
    const failed = await handle(
      { type: 'FailBuild', attemptId: 'a1', reason: { kind: 'exit-code', exitCode: 2 } },
      'f',
    );
    assert.equal(
      failed.events.map((event) => event.type),
      ['BuildFailed'],
      'the stream still reads, and the attempt can still end',
    );
  }),
);

test(
  'gives a conflict, not a lost update, when the stream moved past the revision the caller saw',
  withTimeout(5000, async ({ store }) => {
    const register = { type: 'RegisterSpecification', spec, at, actor: 'user:alice' } as const;
    await handleCommand(store, specificationDecider, 'spec-demo', register, context('c-1'), options);
    const update = {
      type: 'UpdateSpecification',
      spec: { ...spec, priority: 5 },
      at,
      actor: 'user:alice',
    } as const;
    await handleCommand(store, specificationDecider, 'spec-demo', update, context('c-2'), {
      ...options,
      expectedRevision: 0,
    });
    const stale = {
      type: 'UpdateSpecification',
      spec: { ...spec, priority: 9 },
      at,
      actor: 'user:bob',
    } as const;
    await rejects(
      handleCommand(store, specificationDecider, 'spec-demo', stale, context('c-3'), {
        ...options,
        expectedRevision: 0,
      }),
      (e) => (e as { code?: string }).code === 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION',
    );
    assert.is((await collect(store.readStream('spec-demo'))).length, 2);
  }),
);

test(
  'lets exactly one of two racing commands win, and deduplicates an identical retry',
  withTimeout(5000, async ({ store }) => {
    const register = { type: 'RegisterSpecification', spec, at, actor: 'user:alice' } as const;
    const outcomes = await Promise.allSettled([
      handleCommand(store, specificationDecider, 'spec-demo', register, context('c-a'), options),
      handleCommand(store, specificationDecider, 'spec-demo', register, context('c-b'), options),
    ]);
    assert.is(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    // The same reaction twice (same cause, same decision at the same revision) writes once.
    const deactivate = { type: 'DeactivateSpecification', name: 'demo', at, actor: 'user:alice' } as const;
    const twice = await Promise.all([
      handleCommand(store, specificationDecider, 'spec-demo', deactivate, context('c-d'), options),
      handleCommand(store, specificationDecider, 'spec-demo', deactivate, context('c-d'), options),
    ]);
    assert.equal(twice[0]!.position, twice[1]!.position);
    assert.is((await collect(store.readStream('spec-demo'))).length, 2);
  }),
);

test(
  'decides on a state the caller holds without reading, and reads the stream when that state is stale',
  withTimeout(5000, async ({ store }) => {
    const register = { type: 'RegisterSpecification', spec, at, actor: 'user:alice' } as const;
    const first = await handleCommand(store, specificationDecider, 'spec-demo', register, context('k-1'));
    assert.is(first.state.status, 'active', 'the state after the events');
    const activate = { type: 'ActivateSpecification', name: 'demo', at, actor: 'user:alice' } as const;
    const deactivate = { type: 'DeactivateSpecification', name: 'demo', at, actor: 'user:alice' } as const;
    const known = { state: first.state, revision: first.revision };
    const second = await handleCommand(store, specificationDecider, 'spec-demo', deactivate, context('k-2'), {
      known,
    });
    assert.equal(
      second.events.map((e) => e.type),
      ['SpecificationDeactivated'],
    );
    assert.is(second.state.status, 'inactive');

    // Held since revision 0 (active), but the stream moved on: the append conflicts, the stream is
    // read, and on what it says (inactive) the command is already satisfied.
    const third = await handleCommand(store, specificationDecider, 'spec-demo', deactivate, context('k-3'), {
      known,
    });
    assert.equal(third.events, []);
    assert.is(third.revision, 1);
    const fourth = await handleCommand(store, specificationDecider, 'spec-demo', activate, context('k-4'), {
      known: { state: second.state, revision: second.revision },
    });
    assert.is(fourth.revision, 2);
    assert.equal(
      (await collect(store.readStream('spec-demo'))).map((e) => e.type),
      ['SpecificationRegistered', 'SpecificationDeactivated', 'SpecificationActivated'],
    );
  }),
);

test.run();
