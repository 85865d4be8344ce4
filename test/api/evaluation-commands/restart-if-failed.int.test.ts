/**
 * Restarting one failed build of an evaluation, on a real ledger, when another write to the build lands
 * between reading its failure and appending the restart: the farm's own restart of a build whose failed
 * dependency was restarted just before is reported as such, not counted as left alone; a write that
 * leaves it failed (a new wanter) makes it read again and restart.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { restartIfFailed } from '../../../api/routes/evaluation-commands/restart-if-failed.ts';
import { type BuildCommand, buildDecider } from '../../../domain/build/index.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { withTimeout } from '../../helpers/uvu.ts';
import { drv, failBuild, queueBuild, streamOf } from '../command-seed.ts';

interface Context {
  ledger: TestLedger;
  store: EventStore;
}

const test = suite<Context>('restarting a failed build of an evaluation');
test.before(async (context) => {
  context.ledger = await startTestLedger({ memory: true });
  context.store = await connectEventStore(context.ledger.ledger.url);
});
test.after(async (context) => {
  await context.store.close();
  await context.ledger.stop();
});

/** `store`, where `command` is decided on the build first, by the scheduler, when the restart appends. */
function withWriteInBetween(store: EventStore, drvPath: string, command: BuildCommand): EventStore {
  const racing: EventStore = Object.create(store);
  let raced = false;
  racing.append = async (streamId, events, expected) => {
    if (!raced && streamId === streams.build(drvPath)) {
      raced = true;
      const at = new Date().toISOString();
      await handleCommand(store, buildDecider, streamId, command, {
        cause: { kind: 'command', id: `race-${drvPath}` },
        actor: 'scheduler',
        at,
      });
    }
    return store.append(streamId, events, expected);
  };
  return racing;
}

const why = { why: 'test' };
const at = '2024-05-01T12:00:00Z';

test(
  'a build the farm restarted in between is reported as requeued, restarted once',
  withTimeout(15_000, async ({ store }) => {
    const path = drv('r');
    await queueBuild(store, path);
    await failBuild(store, path);
    const restart = { type: 'RestartBuild', drvPath: path, actor: 'scheduler', at } as const;
    const racing = withWriteInBetween(store, path, restart);
    assert.is(await restartIfFailed(racing, path, why, 'user:alice', 'req-1'), 'requeued');
    const events = await streamOf(store, streams.build(path));
    assert.equal(
      events.map((event) => [event.type, event.metadata.actor]),
      [
        ['BuildQueued', 'scheduler'],
        ['BuildFailed', 'scheduler'],
        ['BuildRestarted', 'scheduler'],
      ],
    );
  }),
);

test(
  'a build still failed after the write in between is read again and restarted',
  withTimeout(15_000, async ({ store }) => {
    const path = drv('s');
    await queueBuild(store, path);
    await failBuild(store, path);
    const wanted = {
      type: 'QueueBuild',
      drvPath: path,
      system: 'x86_64-linux',
      wantedBy: [{ spec: 'guix', evaluation: 'e2', job: 'another' }],
      priority: 0,
      dependencies: [],
      actor: 'scheduler',
      at,
    } as const;
    const racing = withWriteInBetween(store, path, wanted);
    const restarted = await restartIfFailed(racing, path, why, 'user:alice', 'req-2');
    assert.type(restarted, 'object');
    const events = await streamOf(store, streams.build(path));
    assert.equal(
      events.map((event) => event.type),
      ['BuildQueued', 'BuildFailed', 'BuildWanted', 'BuildRestarted'],
    );
    assert.is(events.at(-1)!.metadata.actor, 'user:alice');
    assert.is(await restartIfFailed(store, path, why, 'user:alice', 'req-3'), 'not-failed');
  }),
);

test.run();
