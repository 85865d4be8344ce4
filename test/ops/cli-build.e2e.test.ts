/**
 * `tally build show|restart|cancel` against a real `tally serve`: a build the scheduler would have
 * queued is written into the server's event store, then driven through the command line by its hash
 * part or its .drv path, as text and as `--json`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { drv, queueBuild, streamOf } from '../api/command-seed.ts';
import { type RunningFarm, startFarm } from '../helpers/farm.ts';
import { tally } from '../helpers/tally-process.ts';
import { tempDir, withTimeout } from '../helpers/uvu.ts';

interface Context {
  farm: RunningFarm;
  store: EventStore;
  cleanup: () => Promise<void>;
}

const test = suite<Context>('tally build');
test.before(async (context) => {
  const dir = await tempDir('tally-cli-build-');
  context.farm = await startFarm(dir.path);
  context.store = await connectEventStore(context.farm.eventstore);
  context.cleanup = dir.cleanup;
});
test.after(async ({ farm, store, cleanup }) => {
  await store.close();
  await farm.stop();
  await cleanup();
});

test(
  'cancels, shows and restarts a build by its hash part or .drv path, recording the token user',
  withTimeout(120_000, async ({ farm, store }) => {
    const { api } = farm;
    const env = { TALLY_TOKEN: farm.token! };
    const drvPath = drv('a');
    const hash = await queueBuild(store, drvPath);

    const refused = await tally(['build', 'cancel', hash, '--api', api]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /TALLY_AUTH_MISSING_TOKEN/);

    const cancelled = await tally(
      ['build', 'cancel', drvPath, '--why', 'not needed', '--api', api, '--json'],
      env,
    );
    assert.is(cancelled.code, 0, cancelled.stderr);
    const result = JSON.parse(cancelled.stdout) as { stream: string; revision: number; events: string[] };
    assert.equal([result.stream, result.revision, result.events], [`build-${hash}`, 1, ['BuildCancelled']]);
    const [, cancel] = await streamOf(store, `build-${hash}`);
    assert.equal(cancel?.data, { drvPath, by: 'user:admin', why: 'not needed' });
    assert.is(cancel?.metadata.actor, 'user:admin');

    // A command answers once the read models have folded what it wrote: no waiting needed here.
    const shown = await tally(['build', 'show', hash, '--api', api, '--json']);
    assert.is(shown.code, 0, shown.stderr);
    const build = JSON.parse(shown.stdout) as { drvPath: string; status: string; system: string };
    assert.equal([build.drvPath, build.status, build.system], [drvPath, 'cancelled', 'x86_64-linux']);

    const restarted = await tally(['build', 'restart', hash, '--api', api], env);
    assert.is(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, new RegExp(`^restart ${hash}: BuildRestarted \\(revision 2\\)$`, 'm'));
    const again = await tally(['build', 'show', drvPath, '--api', api]);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^${drvPath.replace(/\./g, '\\.')}\n {2}status: queued\n`));

    const notFinished = await tally(['build', 'restart', drvPath, '--api', api, '--json'], env);
    assert.is(notFinished.code, 1);
    assert.match(notFinished.stderr, /TALLY_BUILD_NOT_FINISHED/);
    assert.is(notFinished.stdout, '');
    assert.equal(
      (await streamOf(store, `build-${hash}`)).map((event) => event.type),
      ['BuildQueued', 'BuildCancelled', 'BuildRestarted'],
    );
  }),
);

test(
  'says that an unknown build is unknown, exits non-zero and writes nothing',
  withTimeout(120_000, async ({ farm, store }) => {
    const { api } = farm;
    const env = { TALLY_TOKEN: farm.token! };
    const unknown = drv('z', 'nowhere');
    const [shown, cancelled] = await Promise.all([
      tally(['build', 'show', 'z'.repeat(32), '--api', api, '--json']),
      tally(['build', 'cancel', unknown, '--api', api, '--json'], env),
    ]);
    for (const refused of [shown, cancelled]) {
      assert.is(refused.code, 1, refused.stdout);
      assert.is(refused.stdout, '');
      assert.match(refused.stderr, /HTTP 404/);
      assert.match(refused.stderr, /\[TALLY_BUILD_NOT_FOUND\]/);
    }
    assert.match(shown.stderr, /z{32}/, 'names the build asked for');
    assert.equal(await streamOf(store, `build-${'z'.repeat(32)}`), []);
  }),
);

test.run();
