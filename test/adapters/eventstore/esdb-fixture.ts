/**
 * The contract fixture for the EventStoreDB adapter, against any server reachable at a URL (the
 * embedded ledger or an external EventStoreDB).
 */
import { createServer } from 'node:net';
import { EventStoreDBClient } from '@eventstore/db-client';
import { createEsdbEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStoreFixture } from './event-store.contract.ts';
import { addressOf, appendRaw } from './raw-append.ts';

/** A loopback port that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export function esdbFixture(url: string, onClose: () => Promise<void> = async () => {}): EventStoreFixture {
  const client = EventStoreDBClient.connectionString(url);
  const store = createEsdbEventStore(client, { endpoint: url, ownsClient: true });
  return {
    store,
    appendRaw: (stream, event) => appendRaw(addressOf(url), stream, event),
    async tombstone(stream) {
      await client.tombstoneStream(stream);
    },
    async unreachableStore() {
      const endpoint = `esdb://127.0.0.1:${await closedPort()}?tls=false`;
      return createEsdbEventStore(EventStoreDBClient.connectionString(endpoint), {
        endpoint,
        ownsClient: true,
      });
    },
    async close() {
      await store.close();
      await onClose();
    },
  };
}
