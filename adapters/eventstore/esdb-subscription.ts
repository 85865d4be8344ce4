/**
 * `$all` subscriptions over `@eventstore/db-client`, delivering events and checkpoints in order.
 *
 * The client reports checkpoints through a callback while events already received may still wait in
 * the subscription's buffer; handing both to the consumer through separate paths could deliver a
 * checkpoint before the events it covers. So the callback pushes a marker into the same buffer, behind
 * those events, and the iterator tells the two apart.
 */
import {
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  END,
  type EventStoreDBClient,
  eventTypeFilter,
  type Filter,
  type Position,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import { EventStoreError } from './errors.ts';
import { type ErrorContext, translateError } from './esdb-errors.ts';
import { fromResolvedEvent, isSystemEvent } from './esdb-events.ts';
import { toEsdbPosition, toSafeNumber } from './esdb-numbers.ts';
import type {
  SubscribeOptions,
  Subscription,
  SubscriptionFilter,
  SubscriptionMessage,
} from './event-store.ts';

const checkpointMarker = Symbol('tally-checkpoint');

interface CheckpointMarker {
  readonly [checkpointMarker]: Position;
}

function isCheckpointMarker(item: unknown): item is CheckpointMarker {
  return typeof item === 'object' && item !== null && checkpointMarker in item;
}

function invalidArgument(argument: string, why: string): EventStoreError {
  return new EventStoreError({ code: 'TALLY_EVENTSTORE_INVALID_ARGUMENT', argument }, `${argument} ${why}`);
}

/** The server-side filter; system events are also dropped client-side when a custom filter is used. */
function esdbFilter(filter: SubscriptionFilter | undefined, interval: number): Filter {
  const cadence = {
    maxSearchWindow: interval,
    checkpointInterval: 1,
    checkpointReached: (subscription: AllStreamSubscription, position: Position) => {
      subscription.push({ [checkpointMarker]: position } satisfies CheckpointMarker);
    },
  };
  if (filter === undefined) return eventTypeFilter({ regex: '^[^$]', ...cadence });
  if ('streamPrefixes' in filter)
    return streamNameFilter({ prefixes: [...filter.streamPrefixes], ...cadence });
  if ('typePrefixes' in filter) return eventTypeFilter({ prefixes: [...filter.typePrefixes], ...cadence });
  if ('streamRegex' in filter) return streamNameFilter({ regex: filter.streamRegex, ...cadence });
  return eventTypeFilter({ regex: filter.typeRegex, ...cadence });
}

function startPosition(from: SubscribeOptions['from']): typeof START | typeof END | Position {
  if (from === undefined || from === 'start') return START;
  if (from === 'end') return END;
  if (!Number.isSafeInteger(from) || from < 0)
    throw invalidArgument('from', 'must be start, end or a position');
  return toEsdbPosition(from);
}

/** Opens a subscription to `$all` at once; see `EventStore.subscribeToAll`. */
export function subscribeToAll(
  client: EventStoreDBClient,
  options: SubscribeOptions,
  context: ErrorContext,
): Subscription {
  const interval = options.checkpointInterval ?? 32;
  if (!Number.isSafeInteger(interval) || interval <= 0) {
    throw invalidArgument('checkpointInterval', 'must be a positive integer');
  }
  const subscription = client.subscribeToAll({
    fromPosition: startPosition(options.from),
    filter: esdbFilter(options.filter, interval),
  });
  let cancelled = false;
  let confirmed = false;
  let failure: unknown;
  // Keeps an error that arrives before iteration starts from crashing the process; it is rethrown below.
  subscription.on('error', (error) => {
    failure ??= error;
  });
  subscription.once('confirmation', () => {
    confirmed = true;
  });

  function started(): Promise<void> {
    if (confirmed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const settle = (error?: unknown) => {
        subscription.off('confirmation', settle).off('error', settle).off('close', settle);
        if (confirmed) resolve();
        else
          reject(
            translateError(
              error ?? failure ?? new Error('the subscription ended before it started'),
              context,
            ),
          );
      };
      subscription
        .once('confirmation', () => settle())
        .once('error', settle)
        .once('close', settle);
    });
  }

  async function cancel(): Promise<void> {
    if (cancelled) return;
    cancelled = true;
    await subscription.unsubscribe();
    subscription.destroy();
  }

  async function* messages(): AsyncGenerator<SubscriptionMessage> {
    try {
      for await (const item of subscription as AsyncIterable<AllStreamResolvedEvent | CheckpointMarker>) {
        if (isCheckpointMarker(item)) {
          yield { kind: 'checkpoint', position: toSafeNumber(item[checkpointMarker].commit) };
          continue;
        }
        const event = fromResolvedEvent(item);
        if (event !== undefined && !isSystemEvent(event)) yield { kind: 'event', event };
      }
      if (failure !== undefined && !cancelled) throw failure;
    } catch (error) {
      if (!cancelled) throw translateError(error, context);
    } finally {
      await cancel();
    }
  }

  return { [Symbol.asyncIterator]: messages, cancel, started };
}
