/** An event store that counts the events its stream reads hand out: to tell what a step read. */
import type { EventStore } from '../../adapters/eventstore/event-store.ts';

/** `events`, counting the events read from the streams `counted` accepts (every stream by default). */
export function countingStreamReads(
  events: EventStore,
  counted: (streamId: string) => boolean = () => true,
): { store: EventStore; read: () => number } {
  let read = 0;
  const store: EventStore = Object.create(events);
  store.readStream = (streamId, options) => {
    const inner = events.readStream(streamId, options);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const event of inner) {
          if (counted(streamId)) read += 1;
          yield event;
        }
      },
    };
  };
  return { store, read: () => read };
}
