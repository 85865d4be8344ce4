/**
 * Loading the core suite's synthetic farm into an event store: batched appends of consecutive events of
 * one stream, 64 batches in flight. Shared by the suite and by the rows run alone for profiling.
 */
import type { EventStore, NewEvent } from '../../../adapters/eventstore/event-store.ts';
import { coreFarmOptions, type SyntheticFarmOptions, syntheticFarm } from './synthetic-farm.ts';

/** The farm at `scale` (1 ≈ 200 specs × 100 evaluations × 60 jobs, about a million events). */
export async function loadFarm(
  store: EventStore,
  scale: number,
  progress: (message: string) => void = () => undefined,
  recording: SyntheticFarmOptions['recording'] = 'wanted',
): Promise<{ events: number; lastEvaluation: string }> {
  let pending: { stream: string; events: NewEvent[] } | undefined;
  let inflight: Promise<unknown>[] = [];
  let events = 0;
  let lastEvaluation = '';
  const flush = async () => {
    if (pending) inflight.push(store.append(pending.stream, pending.events, 'any'));
    pending = undefined;
    if (inflight.length >= 64) {
      await Promise.all(inflight);
      inflight = [];
    }
  };
  const queue: (() => Promise<void>)[] = [];
  syntheticFarm({
    ...coreFarmOptions(scale),
    recording,
    sink: (projected) => {
      if (projected.event.type === 'EvaluationCompleted') lastEvaluation = projected.event.data.evaluationId;
      queue.push(async () => {
        if (pending && pending.stream !== projected.streamId) await flush();
        pending ??= { stream: projected.streamId, events: [] };
        pending.events.push({
          type: projected.event.type,
          data: projected.event.data,
          metadata: { ...projected.metadata },
        });
        events += 1;
        if (events % 100_000 === 0) progress(`appended ${events} events`);
      });
    },
  });
  for (const step of queue) await step();
  await flush();
  await Promise.all(inflight);
  return { events, lastEvaluation };
}
