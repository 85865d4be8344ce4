/**
 * What the poller tests share: a real in-memory ledger, a specification built from a few channels,
 * readers of the checkout and evaluation streams, and a wait on an event (no sleeps).
 */
import pino from 'pino';
import { connectEventStore } from '../../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore, RecordedEvent } from '../../../../adapters/eventstore/event-store.ts';
import { createPoller, type Poller, type PollerOptions } from '../../../../adapters/pipeline/poller/index.ts';
import { streams } from '../../../../domain/shared/streams.ts';
import type { Channel, Specification } from '../../../../domain/specification/specification.ts';
import { startTestLedger, type TestLedger } from '../../../helpers/ledger.ts';
import { collect } from '../../../helpers/uvu.ts';

export interface PollerLedger {
  readonly ledger: TestLedger;
  readonly store: EventStore;
  stop(): Promise<void>;
}

export async function startPollerLedger(): Promise<PollerLedger> {
  const ledger = await startTestLedger({ memory: true });
  const store = await connectEventStore(ledger.ledger.url);
  return {
    ledger,
    store,
    async stop() {
      await store.close();
      await ledger.stop();
    },
  };
}

/** A specification as events carry it, with defaults for everything but its name and channels. */
export function specification(
  name: string,
  channels: readonly Channel[],
  overrides: Partial<Specification> = {},
): Specification {
  return {
    name,
    channels,
    evaluator: { kind: 'native', entry: 'tally.jobs.json' },
    systems: ['x86_64-linux'],
    priority: 0,
    pollingPeriodSeconds: 0,
    buildLimits: { timeoutSeconds: 3600, maxSilentSeconds: 600, maxLogBytes: 1 << 20 },
    retries: 0,
    keepEvaluations: 3,
    active: true,
    ...overrides,
  };
}

/** A poller over `store` whose specifications are whatever `specs` holds when it asks. */
export function pollerFor(
  store: EventStore,
  dataDir: string,
  specs: () => readonly Specification[],
  options: Partial<PollerOptions> = {},
): Poller {
  return createPoller({
    eventStore: store,
    dataDir,
    logger: pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' }),
    listSpecs: specs,
    fetchTimeoutMs: 20_000,
    minIntervalMs: 0,
    ...options,
  });
}

export const checkoutEvents = (store: EventStore, spec: string) =>
  collect(store.readStream(streams.checkout(spec)));

/** Every EvaluationRequested of `spec`, in the order recorded. */
export async function evaluationsRequested(store: EventStore, spec: string): Promise<RecordedEvent[]> {
  const all = await collect(store.readAll());
  return all.filter(
    (event) => event.type === 'EvaluationRequested' && (event.data as { spec: string }).spec === spec,
  );
}

export const typesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.type);

/** The data of an event, for reading its fields in assertions. */
export const dataOf = (event: RecordedEvent | undefined) => (event?.data ?? {}) as Record<string, unknown>;

/**
 * Starts following the store now; `event` resolves with the first event appended afterwards that
 * satisfies `match`. An object, not a promise, so that the caller can act once the watch is in place.
 */
export async function watchFor(
  store: EventStore,
  match: (event: RecordedEvent) => boolean,
): Promise<{ readonly event: Promise<RecordedEvent>; cancel(): Promise<void> }> {
  const subscription = store.subscribeToAll({ from: 'end' });
  await subscription.started();
  const event = (async () => {
    for await (const message of subscription) {
      if (message.kind === 'event' && match(message.event)) {
        await subscription.cancel();
        return message.event;
      }
    }
    throw new Error('the subscription ended before the event came');
  })();
  event.catch(() => {});
  return { event, cancel: () => subscription.cancel() };
}
