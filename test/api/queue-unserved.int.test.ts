/**
 * `GET /api/queue` says which systems' builds no worker can take: a dependency for a system no
 * connected worker builds waits in the queue, and the queue names that system rather than leaving
 * the build queued without a word; once a worker for it connects, the system is served.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TallyEvent } from '../../domain/events.ts';
import { streams } from '../../domain/shared/streams.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture, workerJoins } from './read-fixture.ts';

const test = suite<{ api: ReadFixture }>('the queue names the systems no worker builds');
test.before(async (context) => {
  context.api = await startReadFixture();
});
test.after(async ({ api }) => api.stop());

const queue = async (api: ReadFixture) => {
  const response = await api.app.inject({ method: 'GET', url: '/api/queue' });
  assert.is(response.statusCode, 200);
  return response.json() as Json & { lanes: Json[]; unserved: string[] };
};

const lanesBySystem = (body: { lanes: Json[] }) =>
  Object.fromEntries(body.lanes.map((lane) => [lane.system as string, lane.workers]));

test(
  'counts the workers of each lane and names the systems none of them builds, until one connects',
  withTimeout(15_000, async ({ api }) => {
    const farm = new FarmHistory();
    for (const event of workerJoins('x86')) farm.record(streams.worker('x86'), event);
    farm.registerSpec('mixed');
    const evaluation = farm.evaluate('mixed', [job('hello'), job('cross', { system: 'aarch64-linux' })]);
    farm.scheduleBuilds(evaluation);
    await api.append(farm.events);

    const before = await queue(api);
    assert.equal(lanesBySystem(before), { 'x86_64-linux': 1, 'aarch64-linux': 0 });
    assert.equal(before.unserved, ['aarch64-linux']);
    const scrape = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(scrape, /tally_queue_workers\{system="aarch64-linux"\} 0/);
    assert.match(scrape, /tally_queue_workers\{system="x86_64-linux"\} 1/);

    const arm: TallyEvent[] = workerJoins('arm').map((event) =>
      event.type === 'WorkerRegistered'
        ? { ...event, data: { ...event.data, systems: ['aarch64-linux'] } }
        : event,
    );
    const joining = new FarmHistory();
    for (const event of arm) joining.record(streams.worker('arm'), event);
    await api.append(joining.events);
    const after = await queue(api);
    assert.equal(lanesBySystem(after), { 'x86_64-linux': 1, 'aarch64-linux': 1 });
    assert.equal(after.unserved, []);

    // A drained worker takes nothing new: its system is unserved again.
    const drained = new FarmHistory();
    drained.record(streams.worker('arm'), { type: 'WorkerDrained', data: { name: 'arm', by: 'user:test' } });
    await api.append(drained.events);
    assert.equal((await queue(api)).unserved, ['aarch64-linux']);
  }),
);

test.run();
