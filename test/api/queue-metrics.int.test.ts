/**
 * Prometheus' view of the queue: `tally_queue_builds` by system and state, read from the queue read
 * model at each scrape of `/metrics`, over a real ledger with the farm's events folded in.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { streams } from '../../domain/shared/streams.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory } from '../projections/fixtures/farm-history.ts';
import { type ReadFixture, startReadFixture, workerJoins } from './read-fixture.ts';

const x86 = 'x86_64-linux';
const arm = 'aarch64-linux';
const hour = 3600;

/** The samples of one family, `"system state"` → value. */
function queueBuilds(scrape: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const line of scrape.split('\n')) {
    const sample = /^tally_queue_builds\{(.*)\} (\S+)$/.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries([...sample[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    samples[`${labels.system} ${labels.state}`] = Number(sample[2]);
  }
  return samples;
}

const scrape = async (api: ReadFixture) => {
  const response = await api.app.inject({ method: 'GET', url: '/metrics' });
  assert.is(response.statusCode, 200);
  return response.body;
};

const test = suite<{ api: ReadFixture; farm: FarmHistory }>('queue sizes on /metrics');
test.before(async (context) => {
  context.api = await startReadFixture();
  // Two hours ago, so that a requeue's wait can be over by the wall clock though no later event says so.
  context.farm = new FarmHistory({ start: new Date(Date.now() - 2 * hour * 1000).toISOString() });
});
test.after(async ({ api }) => api.stop());

test(
  'counts runnable, deferred and blocked builds per system, leaving out running and finished ones',
  withTimeout(15_000, async ({ api, farm }) => {
    for (const event of workerJoins('w1')) farm.record(streams.worker('w1'), event);
    farm.queueBuild(drv('lib-1.0'));
    farm.queueBuild(drv('app-1.0'), { dependencies: [drv('lib-1.0')] });
    farm.queueBuild(drv('retried-1.0'));
    farm.dispatch(drv('retried-1.0'));
    farm.requeue(drv('retried-1.0'), 'worker-lost', hour);
    farm.queueBuild(drv('waiting-1.0'));
    farm.dispatch(drv('waiting-1.0'));
    farm.requeue(drv('waiting-1.0'), 'worker-lost', 3 * hour);
    farm.queueBuild(drv('done-1.0'));
    farm.build(drv('done-1.0'), 'succeeded');
    farm.queueBuild(drv('busy-1.0'));
    farm.dispatch(drv('busy-1.0'));
    farm.startBuild(drv('busy-1.0'));
    farm.queueBuild(drv('urgent-1.0', arm), { system: arm, priority: 5 });
    farm.queueBuild(drv('later-1.0', arm), { system: arm });
    await api.append(farm.events);

    const text = await scrape(api);
    assert.equal(queueBuilds(text), {
      [`${arm} runnable`]: 2,
      [`${arm} deferred`]: 0,
      [`${arm} blocked`]: 0,
      // lib, and retried (its hour is over); waiting has two hours to go; app waits on lib.
      [`${x86} runnable`]: 2,
      [`${x86} deferred`]: 1,
      [`${x86} blocked`]: 1,
    });
    assert.match(
      text,
      /^tally_queue_length 6$/m,
      'the total is the sum per system: the running build is out',
    );
  }),
);

test(
  'answers from the events folded by the time of the scrape, with zeros for an emptied system',
  withTimeout(15_000, async ({ api, farm }) => {
    const seen = farm.events.length;
    farm.build(drv('lib-1.0'), 'succeeded');
    farm.cancel(drv('urgent-1.0', arm));
    farm.cancel(drv('later-1.0', arm));
    await api.append(farm.events.slice(seen));

    assert.equal(queueBuilds(await scrape(api)), {
      [`${arm} runnable`]: 0,
      [`${arm} deferred`]: 0,
      [`${arm} blocked`]: 0,
      [`${x86} runnable`]: 2,
      [`${x86} deferred`]: 1,
      [`${x86} blocked`]: 0,
    });
  }),
);

test.run();
