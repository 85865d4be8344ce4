/**
 * `POST /api/projections/save` over a real ledger and the server's runner: a write that needs a token,
 * and that leaves every read model's current state in the snapshot store.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTimeout } from '../helpers/uvu.ts';
import { startApiFixture } from './api-fixture.ts';
import { registerWorker } from './command-seed.ts';

const test = suite('POST /api/projections/save');

test(
  'saves every read model that changed and answers their positions; refuses without a token',
  withTimeout(20_000, async () => {
    const api = await startApiFixture({ readModels: true });
    try {
      await registerWorker(api.store, 'w1');
      await api.caughtUp();
      const anonymous = await api.app.inject({ method: 'POST', url: '/api/projections/save' });
      assert.is(anonymous.statusCode, 401);
      const saved = await api.app.inject({
        method: 'POST',
        url: '/api/projections/save',
        headers: { authorization: `Bearer ${api.token}` },
      });
      assert.is(saved.statusCode, 200, saved.body);
      const { saved: positions } = saved.json() as { saved: { name: string; position: number }[] };
      const workers = positions.find((entry) => entry.name === 'workers');
      assert.ok(workers && workers.position >= 0, saved.body);
      assert.is(positions.length, 7);
    } finally {
      await api.stop();
    }
  }),
);

test.run();
