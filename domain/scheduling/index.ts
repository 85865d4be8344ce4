/**
 * Scheduling: the dispatcher's in-memory run queue. Pure and clock-free (time is a parameter), a
 * mutable index rebuilt from the pipeline state at start, never an event payload.
 */
export { IndexedHeap } from './indexed-heap.ts';
export type { DoomedBuild, PickedBuild, QueuedBuild, RunningBySpec, WorkerSystems } from './queued-build.ts';
export { createRunQueue, type RunQueue } from './run-queue.ts';
