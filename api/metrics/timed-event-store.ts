/**
 * An `EventStore` decorator that times every call into a Prometheus histogram, labelled by operation
 * and outcome (`ok` or the `EventStoreError` code), so slow or failing store calls show in `/metrics`.
 * A read is timed until its iteration ends (or is broken off); a subscription until it is confirmed.
 */
import type { Histogram } from 'prom-client';
import type { EventStore, RecordedEvent } from '../../adapters/eventstore/event-store.ts';

type Operation = 'append' | 'readStream' | 'readAll' | 'subscribe';

const outcomeOf = (error: unknown) =>
  typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'error';

export function timeEventStore(store: EventStore, histogram: Histogram<'operation' | 'outcome'>): EventStore {
  async function timed<T>(operation: Operation, work: () => Promise<T>): Promise<T> {
    const end = histogram.startTimer({ operation });
    try {
      const result = await work();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: outcomeOf(error) });
      throw error;
    }
  }

  async function* timedRead(
    operation: Operation,
    read: () => AsyncIterable<RecordedEvent>,
  ): AsyncGenerator<RecordedEvent> {
    const end = histogram.startTimer({ operation });
    let outcome = 'ok';
    try {
      yield* read();
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      end({ outcome });
    }
  }

  return {
    append: (streamId, events, expected) => timed('append', () => store.append(streamId, events, expected)),
    readStream: (streamId, options) => timedRead('readStream', () => store.readStream(streamId, options)),
    readAll: (options) => timedRead('readAll', () => store.readAll(options)),
    subscribeToAll(options) {
      const subscription = store.subscribeToAll(options);
      const started = timed('subscribe', () => subscription.started());
      started.catch(() => undefined);
      return {
        started: () => started,
        cancel: () => subscription.cancel(),
        [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      };
    },
    close: () => store.close(),
  };
}
