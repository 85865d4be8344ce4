/**
 * Opens the event store a command reads, for the length of that command.
 */

import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { type EventStoreOptions, resolveEventStoreUrl } from './options.ts';

/** Connects to the store the options name, runs `work`, and closes the connection. */
export async function withEventStore<T>(
  options: EventStoreOptions,
  work: (store: EventStore) => Promise<T>,
): Promise<T> {
  // The client (gRPC and its generated code) loads when a command connects, not with every command.
  const { connectEventStore } = await import('../../adapters/eventstore/esdb-event-store.ts');
  const store = await connectEventStore(await resolveEventStoreUrl(options));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
