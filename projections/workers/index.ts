/**
 * The workers read model: known workers, their capabilities and connection, what each builds now,
 * when the farm last heard of it, and how busy it was over the last hour and day.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { WorkerEvent } from '../../domain/worker/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { evolveWorkers } from './evolve.ts';
import { getWorker, listWorkers } from './queries.ts';
import { initialWorkersState, type WorkersState } from './state.ts';

export * from './queries.ts';
export type { CurrentAttempt, WorkerRecord, WorkersState } from './state.ts';

const handled = new Set<string>([
  'WorkerRegistered',
  'WorkerConnected',
  'WorkerDisconnected',
  'WorkerLost',
  'WorkerDrained',
  'WorkerResumed',
  'WorkerRemoved',
  'BuildDispatched',
  'BuildStarted',
  'BuildLogStored',
  'BuildSucceeded',
  'BuildFailed',
  'BuildCancelled',
  'BuildSubstituted',
  'BuildRequeued',
  'BuildResultIgnored',
] satisfies (WorkerEvent | BuildEvent)['type'][]);

export const workersProjection: Projection<WorkersState, WorkerEvent | BuildEvent> = {
  name: 'workers',
  // 3: a lost worker's attempts end when it was last heard from; contact is only the worker's word.
  version: 3,
  canHandle: (type) => handled.has(type),
  initialState: initialWorkersState,
  evolve: evolveWorkers,
};

/** The workers read model: its projection and the queries over its state. */
export const workers = { projection: workersProjection, queries: { listWorkers, getWorker } } as const;
