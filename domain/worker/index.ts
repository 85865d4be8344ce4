/**
 * The worker aggregate: the machines that build, as the dispatcher and operators see them.
 */
import type { Decider } from '../shared/decider.ts';
import type { WorkerCommand } from './commands.ts';
import { decideWorker } from './decide.ts';
import type { WorkerEvent } from './events.ts';
import { evolveWorker, initialWorkerState, type WorkerState } from './state.ts';

export * from './commands.ts';
export * from './events.ts';
export * from './schemas.ts';
export * from './state.ts';

/** The worker decider. */
export const workerDecider: Decider<WorkerCommand, WorkerEvent, WorkerState> = {
  initialState: initialWorkerState,
  evolve: evolveWorker,
  decide: decideWorker,
};
