/**
 * The event-store port over `@eventstore/db-client`: EventStoreDB, KurrentDB and Tally's own ledger,
 * which serves the same gRPC protocol.
 */
import {
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  isCommandError,
  START,
} from '@eventstore/db-client';
import { EventStoreError } from './errors.ts';
import { type ErrorContext, translateError } from './esdb-errors.ts';
import { fromResolvedEvent, isSystemEvent, toEventData } from './esdb-events.ts';
import { toEsdbPosition, toSafeNumber } from './esdb-numbers.ts';
import { subscribeToAll } from './esdb-subscription.ts';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from './event-store.ts';

export interface EsdbEventStoreOptions {
  /** The address to name in error messages (the connection string without credentials). */
  readonly endpoint?: string;
  /** Dispose of the client on `close()`; set when the store created it. Defaults to false. */
  readonly ownsClient?: boolean;
}

const disposeTimeoutMs = 1000;
/** A read stopped early with at most this many events still to come is read to its end, not cancelled. */
const drainableEvents = 256;
/** How long such a read may take to end before it is cancelled after all. */
const drainTimeoutMs = 1000;

/**
 * `client.dispose()` waits for every stream the client ever opened to report that it finished; for
 * a stream cancelled after it had ended, grpc-js sometimes never does, and the wait would never end
 * (a CLI exits with "unsettled top-level await"). The channel is closed either way, so bound the wait.
 */
async function disposeWithin(client: EventStoreDBClient, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([client.dispose(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function checkCount(argument: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new EventStoreError(
      { code: 'TALLY_EVENTSTORE_INVALID_ARGUMENT', argument },
      `${argument} must be a non-negative integer, not ${value}`,
    );
  }
}

function toClientRevision(expected: ExpectedRevision): 'any' | 'no_stream' | 'stream_exists' | bigint {
  if (typeof expected !== 'number') return expected;
  checkCount('expectedRevision', expected);
  return BigInt(expected);
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.STREAM_NOT_FOUND;
}

/** An `EventStore` over an existing client. */
export function createEsdbEventStore(
  client: EventStoreDBClient,
  options: EsdbEventStoreOptions = {},
): EventStore {
  const endpoint = options.endpoint ?? 'the configured address';
  const context = (stream?: string): ErrorContext =>
    stream === undefined ? { endpoint } : { endpoint, stream };

  async function append(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const data = events.map((event, index) => toEventData(streamId, event, index));
    try {
      const result = await client.appendToStream(streamId, data, {
        expectedRevision: toClientRevision(expectedRevision),
      });
      return {
        nextRevision: toSafeNumber(result.nextExpectedRevision),
        position: result.position === undefined ? -1 : toSafeNumber(result.position.commit),
      };
    } catch (error) {
      throw translateError(error, context(streamId));
    }
  }

  async function* readStream(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncGenerator<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    checkCount('fromRevision', options.fromRevision);
    checkCount('limit', options.limit);
    if (options.limit === 0) return;
    const read = client.readStream(streamId, {
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromRevision:
        options.fromRevision === undefined
          ? direction === 'forwards'
            ? START
            : END
          : BigInt(options.fromRevision),
      maxCount: options.limit ?? Number.MAX_SAFE_INTEGER,
    });
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let received = 0;
    let ended = false;
    // Stepped by hand: a `for await` left early would destroy the read at once, which cancels it.
    const steps = read[Symbol.asyncIterator]();
    try {
      for (let step = await steps.next(); !step.done; step = await steps.next()) {
        received += 1;
        const event = fromResolvedEvent(step.value);
        if (event !== undefined) yield event;
      }
      ended = true;
    } catch (error) {
      ended = true;
      if (isStreamNotFound(error)) return;
      throw translateError(error, context(streamId));
    } finally {
      if (!ended) await stopRead(steps, () => read.cancel(), limit - received);
    }
  }

  async function* readAll(options: ReadAllOptions = {}): AsyncGenerator<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    checkCount('fromPosition', options.fromPosition);
    checkCount('limit', options.limit);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (limit === 0) return;
    // The store counts and filters, so a read with a limit ends by itself after it (see stopRead).
    const read = client.readAll({
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromPosition:
        options.fromPosition === undefined
          ? direction === 'forwards'
            ? START
            : END
          : toEsdbPosition(options.fromPosition),
      ...(Number.isFinite(limit) ? { maxCount: limit } : {}),
      ...(options.includeSystemEvents ? {} : { filter: excludeSystemEvents() }),
    });
    const steps = read[Symbol.asyncIterator]();
    let received = 0;
    let ended = false;
    try {
      for (let step = await steps.next(); !step.done; step = await steps.next()) {
        received += 1;
        const event = fromResolvedEvent(step.value);
        if (event === undefined || (!options.includeSystemEvents && isSystemEvent(event))) continue;
        yield event;
      }
      ended = true;
    } catch (error) {
      ended = true;
      throw translateError(error, context());
    } finally {
      if (!ended) await stopRead(steps, () => read.cancel(), limit - received);
    }
  }

  return {
    append,
    readStream,
    readAll,
    subscribeToAll: (subscribeOptions = {}) => subscribeToAll(client, subscribeOptions, context()),
    async close() {
      if (options.ownsClient) await disposeWithin(client, disposeTimeoutMs);
    },
  };
}

/**
 * Lets go of a read its consumer stopped early. A cancel is an HTTP/2 RST_STREAM, and Node's HTTP/2
 * server closes a client's whole session (INTERNAL_ERROR, failing every call on it) past a burst of
 * 1,000 of them refilled at 33 a second (its rapid-reset guard): a farm that reads one event of many
 * streams would trip it. A read with at most `drainableEvents` still to come ends by itself soon, so
 * it is read to its end instead, within a bound; only a longer one is cancelled.
 */
async function stopRead(
  steps: AsyncIterator<unknown>,
  cancel: () => Promise<void>,
  stillToCome: number,
): Promise<void> {
  if (stillToCome <= drainableEvents) {
    let timer: NodeJS.Timeout | undefined;
    const drained = (async () => {
      while (!(await steps.next()).done);
      return true;
    })().catch(() => true);
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), drainTimeoutMs);
    });
    const ended = await Promise.race([drained, late]);
    clearTimeout(timer);
    if (ended) return;
  }
  await cancel();
}

/** The URL without its `user:password@` part, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/**
 * Connects to the store at `url` (`esdb://host:port?tls=false`, `esdb+discover://…` for a cluster) and
 * checks that it answers, so a wrong address fails here with `TALLY_EVENTSTORE_UNAVAILABLE` rather than
 * at the first read. A URL that does not parse fails with `TALLY_EVENTSTORE_INVALID_URL`.
 */
export async function connectEventStore(url: string): Promise<EventStore> {
  const endpoint = redactUrl(url);
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(url);
  } catch (error) {
    throw new EventStoreError(
      { code: 'TALLY_EVENTSTORE_INVALID_URL', url: endpoint },
      `${endpoint} is not an event store URL (${(error as Error).message}); expected esdb://host:port?tls=false`,
      { cause: error },
    );
  }
  const store = createEsdbEventStore(client, { endpoint, ownsClient: true });
  try {
    // Any read proves the server answers; a stream nobody writes is cheap and needs no special rights.
    for await (const _ of store.readStream('tally-connection-check', { limit: 1 })) break;
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
