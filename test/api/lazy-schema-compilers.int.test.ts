import { Type } from '@fastify/type-provider-typebox';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import { buildApp } from '../../api/app.ts';
import { startTestLedger } from '../helpers/ledger.ts';
import { rejects, tempDir, withTimeout } from '../helpers/uvu.ts';
import { startApiFixture } from './api-fixture.ts';

const test = suite('schemas compiled at the first request');

test(
  'still validate, coerce and serialise with every schema of a route',
  withTimeout(15_000, async () => {
    const api = await startApiFixture({
      routes: (app) =>
        app.get(
          '/test/schemas',
          {
            schema: {
              querystring: Type.Object({ n: Type.Integer({ minimum: 1 }) }),
              headers: Type.Object({ 'x-kind': Type.Optional(Type.Literal('a')) }),
              response: { 200: Type.Object({ doubled: Type.Integer() }) },
            },
          },
          async (request) => ({ doubled: request.query.n * 2, secret: 'never sent' }),
        ),
    });
    try {
      const refused = await api.app.inject({ url: '/test/schemas?n=zero' });
      assert.is(refused.statusCode, 400, refused.body);
      assert.match(refused.body, /querystring/);
      const badHeader = await api.app.inject({ url: '/test/schemas?n=2', headers: { 'X-Kind': 'b' } });
      assert.is(badHeader.statusCode, 400, badHeader.body);
      for (let i = 0; i < 2; i++) {
        const answered = await api.app.inject({ url: '/test/schemas?n=21', headers: { 'X-Kind': 'a' } });
        assert.is(answered.statusCode, 200, answered.body);
        assert.equal(answered.json(), { doubled: 42 }, 'the response schema drops what it does not name');
      }
    } finally {
      await api.stop();
    }
  }),
);

test(
  'refuse, at start, a header schema that names a header in capitals (it could never match)',
  withTimeout(15_000, async () => {
    const ledger = await startTestLedger({ memory: true });
    const store = await connectEventStore(ledger.ledger.url);
    const data = await tempDir('tally-api-');
    const app = await buildApp({ eventStore: store, dataDir: data.path, logger: pino({ level: 'silent' }) });
    try {
      app.get(
        '/test/capitals',
        { schema: { headers: Type.Object({ 'X-Kind': Type.String() }) } },
        async () => ({}),
      );
      await rejects(async () => app.ready(), /X-Kind: write header names in lowercase/);
    } finally {
      await app.close();
      await store.close();
      await ledger.stop();
      await data.cleanup();
    }
  }),
);

test.run();
