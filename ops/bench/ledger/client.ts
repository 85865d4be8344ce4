/** Creating and disposing `@eventstore/db-client` clients for the bench. */
import { EventStoreDBClient } from '@eventstore/db-client';
import { withTimeout } from '../harness/timeout.ts';

export function connect(url: string): EventStoreDBClient {
  return EventStoreDBClient.connectionString(url);
}

/**
 * Disposes a client, giving up after a few seconds; resolves whether it finished. `dispose()` waits
 * for every stream the client opened to finish, and a subscription cancelled while events were still
 * buffered on the client side never does, so the bench must not wait on it unboundedly.
 */
export async function disposeClient(client: EventStoreDBClient, timeoutMs = 3_000): Promise<boolean> {
  try {
    await withTimeout(client.dispose(), timeoutMs, 'client.dispose()');
    return true;
  } catch {
    return false;
  }
}
