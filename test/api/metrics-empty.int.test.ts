/** The metrics of a farm that has built and evaluated nothing yet: zero series that end today. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { startReadFixture } from './read-fixture.ts';

test(
  'a farm with no build or evaluation yet gets its series ending today, not in 1970',
  withTimeout(15_000, async () => {
    const api = await startReadFixture();
    try {
      const today = new Date().toISOString().slice(0, 10);
      const response = await api.app.inject({ url: '/api/metrics?days=3' });
      assert.is(response.statusCode, 200, response.body);
      const { days, hours } = response.json() as { days: { day: string }[]; hours: { hour: string }[] };
      assert.is(days.length, 3);
      // Around midnight the clock may turn between the answer and this line.
      assert.ok([today, new Date(Date.now() - 60_000).toISOString().slice(0, 10)].includes(days[2]!.day));
      assert.ok(hours.every((each) => each.hour >= '2000'));
    } finally {
      await api.stop();
    }
  }),
);

test.run();
