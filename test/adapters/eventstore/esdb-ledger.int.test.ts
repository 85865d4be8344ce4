/**
 * The event-store contract over `@eventstore/db-client` against the embedded ledger, plus what only a
 * server we start and stop can show: connecting, and the store going away under a subscription.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isEventStoreError } from '../../../adapters/eventstore/errors.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import { startTestLedger } from '../../helpers/ledger.ts';
import { rejects, withTimeout } from '../../helpers/uvu.ts';
import { closedPort, esdbFixture } from './esdb-fixture.ts';
import { eventStoreContract } from './event-store.contract.ts';

eventStoreContract('esdb adapter on the ledger', async () => {
  const ledger = await startTestLedger({ memory: true });
  return esdbFixture(ledger.ledger.url, () => ledger.stop());
});

const connecting = suite('connectEventStore');

connecting(
  'connects to a running ledger and appends through it',
  withTimeout(15_000, async () => {
    const ledger = await startTestLedger({ memory: true });
    try {
      const store = await connectEventStore(ledger.ledger.url);
      const result = await store.append(
        'spec-demo',
        [{ type: 'SpecAdded', data: { name: 'demo' } }],
        'no_stream',
      );
      assert.is(result.nextRevision, 0);
      await store.close();
    } finally {
      await ledger.stop();
    }
  }),
);

connecting(
  'fails at once with UNAVAILABLE naming the address when nothing listens',
  withTimeout(15_000, async () => {
    const url = `esdb://127.0.0.1:${await closedPort()}?tls=false`;
    const error = await rejects(connectEventStore(url), (e) =>
      isEventStoreError(e, 'TALLY_EVENTSTORE_UNAVAILABLE'),
    );
    assert.match((error as Error).message, /127\.0\.0\.1/);
    assert.match((error as Error).message, /tally ledger serve/);
  }),
);

connecting(
  'refuses a URL that does not parse',
  withTimeout(5_000, async () => {
    await rejects(connectEventStore('http://nowhere'), (e) =>
      isEventStoreError(e, 'TALLY_EVENTSTORE_INVALID_URL'),
    );
  }),
);

connecting(
  'hides the password of a URL in messages',
  withTimeout(15_000, async () => {
    const url = `esdb://admin:secret@127.0.0.1:${await closedPort()}?tls=false`;
    const error = await rejects(connectEventStore(url));
    assert.not.match((error as Error).message, /secret/);
  }),
);

connecting.run();

const stopping = suite('a subscription whose ledger stops');

stopping(
  'ends with UNAVAILABLE rather than hanging or crashing',
  withTimeout(15_000, async () => {
    const ledger = await startTestLedger({ memory: true });
    const store = await connectEventStore(ledger.ledger.url);
    const subscription = store.subscribeToAll({ from: 'end' });
    await subscription.started();
    const iterating = (async () => {
      for await (const _ of subscription) {
        // nothing is appended
      }
    })();
    await ledger.ledger.close();
    const error = await rejects(iterating);
    assert.ok(isEventStoreError(error, 'TALLY_EVENTSTORE_UNAVAILABLE'), String(error));
    await store.close();
    await ledger.stop().catch(() => {});
  }),
);

stopping.run();
