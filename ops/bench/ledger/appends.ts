/**
 * The append workloads through the official client: single events from many callers, batches from
 * a few, and the bulk load that builds the 1,000,000-event store for the read and restart phases.
 */
import { ANY, type EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { Presets, SingleBar } from 'cli-progress';
import { type LoadResult, runClosedLoop } from '../harness/load.ts';
import { buildStream, evalStream, jobEvent } from './events.ts';
import { batchAppends, singleAppends, storeLoad } from './workloads.ts';

/** Every event the bench has appended to one ledger, warm-up included, so the loader knows what is left. */
export interface AppendTally {
  events: number;
  /** The next unused `eval-<n>` stream number. */
  nextEvaluation: number;
}

function appendJobs(
  client: EventStoreDBClient,
  tally: AppendTally,
  stream: string,
  evaluation: number,
  count: number,
  firstIndex = 0,
) {
  const events = Array.from({ length: count }, (_, index) =>
    jsonEvent(jobEvent(evaluation, firstIndex + index)),
  );
  return client.appendToStream(stream, events, { expectedRevision: ANY }).then(() => {
    tally.events += count;
    return count;
  });
}

/** Workload 1: 64 callers, one event per append, each to its own `build-<hash>` stream. */
export function appendSingleEvents(client: EventStoreDBClient, tally: AppendTally): Promise<LoadResult> {
  const appendedBy = new Array<number>(singleAppends.callers).fill(0);
  return runClosedLoop({
    ...singleAppends,
    call: (caller) => appendJobs(client, tally, buildStream(caller), caller, 1, appendedBy[caller]!++),
  });
}

/** Workload 2: a few callers appending 100 events per call, each call to a new `eval-<n>` stream. */
export function appendEventBatches(client: EventStoreDBClient, tally: AppendTally): Promise<LoadResult> {
  return runClosedLoop({
    ...batchAppends,
    call: () => {
      const evaluation = tally.nextEvaluation++;
      return appendJobs(client, tally, evalStream(evaluation), evaluation, batchAppends.eventsPerCall);
    },
  });
}

/**
 * Tops the ledger up to `storeLoad.events` with 500-event appends from a few callers, showing
 * progress on stderr. Stops at the time limit rather than overrunning the suite's budget; the caller
 * sees how far it got in the tally.
 */
export async function loadStore(
  client: EventStoreDBClient,
  tally: AppendTally,
): Promise<{ seconds: number }> {
  const started = performance.now();
  const eventsBefore = tally.events;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'loading the ledger [{bar}] {value}/{total} events | {rate} events/s',
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    Presets.shades_classic,
  );
  bar.start(storeLoad.events, tally.events, { rate: 0 });
  const caller = async () => {
    while (tally.events < storeLoad.events && performance.now() - started < storeLoad.timeLimitMs) {
      const evaluation = tally.nextEvaluation++;
      await appendJobs(client, tally, evalStream(evaluation), evaluation, storeLoad.eventsPerCall);
      const seconds = (performance.now() - started) / 1000;
      bar.update(tally.events, { rate: Math.round((tally.events - eventsBefore) / seconds) });
    }
  };
  try {
    await Promise.all(Array.from({ length: storeLoad.callers }, caller));
  } finally {
    bar.stop();
  }
  return { seconds: (performance.now() - started) / 1000 };
}
