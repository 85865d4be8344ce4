/**
 * Opens the event store a command reads, for the length of that command.
 */

import { connectEventStore } from '../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { type EventStoreOptions, resolveEventStoreUrl } from './options.ts';

/** Connects to the store the options name, runs `work`, and closes the connection. */
export async function withEventStore<T>(
  options: EventStoreOptions,
  work: (store: EventStore) => Promise<T>,
): Promise<T> {
  const store = await connectEventStore(await resolveEventStoreUrl(options));
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
