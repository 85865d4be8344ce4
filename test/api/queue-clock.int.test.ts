/**
 * A build waiting out a back-off is deferred until its `notBefore`: live, by the clock, even when no
 * later event arrives; as of a position, by the events up to it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { streams } from '../../domain/shared/streams.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import { startReadFixture, workerJoins } from './read-fixture.ts';

test(
  'a back-off that ended before now is over in the live queue, and not as of its own position',
  withTimeout(20_000, async () => {
    const api = await startReadFixture();
    try {
      const farm = new FarmHistory();
      for (const event of workerJoins('w1')) farm.record(streams.worker('w1'), event);
      farm.registerSpec('guix');
      farm.scheduleBuilds(farm.evaluate('guix', [job('hello')]));
      farm.dispatch(drv('hello-1.0'));
      farm.startBuild(drv('hello-1.0'));
      // The farm's clock is in the past: an hour after its last event has long gone by.
      farm.requeue(drv('hello-1.0'), 'retry-after-backoff', 3600);
      const positions = await api.append(farm.events);
      assert.ok(Date.parse(farm.now()) + 3_600_000 < Date.now(), 'the back-off is over by the clock');

      const live = (await api.app.inject({ url: '/api/queue' })).json();
      assert.equal(
        live.lanes.map((lane: { runnable: number; deferred: number }) => [lane.runnable, lane.deferred]),
        [[1, 0]],
      );
      const then = (await api.app.inject({ url: `/api/queue?at=${positions.at(-1)}` })).json();
      assert.equal(
        then.lanes.map((lane: { runnable: number; deferred: number }) => [lane.runnable, lane.deferred]),
        [[0, 1]],
      );
    } finally {
      await api.stop();
    }
  }),
);

test.run();
