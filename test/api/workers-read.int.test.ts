/**
 * `GET /api/workers` over a real ledger: a worker's utilisation is measured up to the clock when
 * asked live, and up to the position's last event when asked as of a position.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { streams } from '../../domain/shared/streams.ts';
import { withTimeout } from '../helpers/uvu.ts';
import { drv, FarmHistory, job } from '../projections/fixtures/farm-history.ts';
import type { Json } from './api-fixture.ts';
import { type ReadFixture, startReadFixture, workerJoins } from './read-fixture.ts';

interface Context {
  api: ReadFixture;
  positions: number[];
}

/** One worker that started a build (in the fixture's past, 2024) and has said nothing since. */
function farmHistory(): FarmHistory {
  const farm = new FarmHistory();
  for (const event of workerJoins('w1')) farm.record(streams.worker('w1'), event);
  farm.registerSpec('guix');
  farm.scheduleBuilds(farm.evaluate('guix', [job('hello')]));
  farm.dispatch(drv('hello-1.0'), 'w1');
  farm.startBuild(drv('hello-1.0'));
  return farm;
}

const test = suite<Context>('workers read routes');
test.before(async (context) => {
  context.api = await startReadFixture();
  context.positions = await context.api.append(farmHistory().events);
});
test.after(async ({ api }) => api.stop());

const utilisation = async (api: ReadFixture, url: string) => {
  const response = await api.app.inject({ method: 'GET', url });
  assert.is(response.statusCode, 200, response.body);
  const body = response.json() as Json;
  const worker = ('workers' in body ? (body.workers as Json[])[0] : body) as Json;
  return worker.utilisation as { lastHour: { ratio: number; busyMs: number }; lastDay: { ratio: number } };
};

test(
  'live, a worker running one build for longer than a day is fully busy, though no event came since',
  withTimeout(10_000, async ({ api }) => {
    for (const url of ['/api/workers', '/api/workers/w1']) {
      const { lastHour, lastDay } = await utilisation(api, url);
      assert.is(lastHour.ratio, 1, url);
      assert.is(lastHour.busyMs, 3_600_000, url);
      assert.is(lastDay.ratio, 1, url);
    }
  }),
);

test(
  'as of a position, the windows end at its last event: the build had only just started',
  withTimeout(10_000, async ({ api, positions }) => {
    const head = positions[positions.length - 1];
    for (const url of [`/api/workers?at=${head}`, `/api/workers/w1?at=${head}`]) {
      const { lastHour } = await utilisation(api, url);
      assert.ok(lastHour.ratio < 0.01, `${url}: ${lastHour.ratio}`);
    }
  }),
);

test.run();
