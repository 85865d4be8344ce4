/**
 * Folding worker and build events into the workers read model. Worker events change the worker
 * itself; build events move attempts in and out of the worker running them, and a finished attempt
 * that had started adds its interval to the worker's ring. `lastContact` moves only on what the
 * worker itself said (it registered, connected or left; it started, logged or ended an attempt): a
 * dispatch, a drain or a loss noticed by the farm is not word from the worker.
 *
 * Plain spreads rather than immer: each change is one or two levels deep and on the hot path of replay.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { WorkerEvent } from '../../domain/worker/events.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { factMs } from '../shared/fact-time.ts';
import { deleteIn, getIn, setIn } from '../shared/persistent-map.ts';
import { recentCapacity, type WorkerRecord, type WorkersState } from './state.ts';

function withWorker(state: WorkersState, worker: WorkerRecord): WorkersState {
  return { ...state, workers: setIn(state.workers, worker.name, worker) };
}

function evolveWorker(state: WorkersState, event: WorkerEvent, at: number): WorkersState {
  const existing = getIn(state.workers, event.data.name);
  if (event.type === 'WorkerRegistered') {
    const { name, systems, cores, memoryBytes, diskBytes, version } = event.data;
    const revived = existing === undefined || existing.removed;
    return withWorker(state, {
      name,
      systems,
      cores,
      memoryBytes,
      diskBytes,
      version,
      connection: revived ? 'disconnected' : existing.connection,
      drained: revived ? false : existing.drained,
      removed: false,
      current: existing?.current ?? {},
      lastContact: at,
      recent: existing?.recent ?? [],
    });
  }
  if (existing === undefined || existing.removed) return state;
  const seen = { ...existing, lastContact: Math.max(existing.lastContact, at) };
  switch (event.type) {
    case 'WorkerConnected':
      return withWorker(state, { ...seen, connection: 'connected' });
    case 'WorkerDisconnected':
      return withWorker(state, { ...seen, connection: 'disconnected' });
    case 'WorkerLost': {
      // Its attempts are given up: each ends when the worker was last heard from, not when the farm
      // later requeues it.
      const lastSeen = Date.parse(event.data.lastSeenAt);
      const heard = Number.isFinite(lastSeen)
        ? Math.max(existing.lastContact, lastSeen)
        : existing.lastContact;
      let next = state;
      for (const drvPath of Object.keys(existing.current))
        next = endAttempt(next, getIn(next.workers, existing.name)!, drvPath, Math.min(heard, at));
      const worker = getIn(next.workers, existing.name)!;
      return withWorker(next, { ...worker, connection: 'lost', lastContact: heard });
    }
    case 'WorkerDrained':
      return withWorker(state, { ...existing, drained: true });
    case 'WorkerResumed':
      return withWorker(state, { ...existing, drained: false });
    case 'WorkerRemoved': {
      let running = state.running;
      for (const drvPath of Object.keys(existing.current)) running = deleteIn(running, drvPath);
      return withWorker(
        { ...state, running },
        { ...existing, removed: true, connection: 'disconnected', current: {} },
      );
    }
    default:
      return unreachable(event);
  }
}

/**
 * Ends the worker's attempt of `drvPath`, keeping its interval when it had started. `heardAt` is when
 * the worker said so itself (its result), absent when the farm ended the attempt.
 */
function endAttempt(
  state: WorkersState,
  worker: WorkerRecord,
  drvPath: string,
  end: number,
  heardAt?: number,
  reportedStart?: number,
): WorkersState {
  const attempt = worker.current[drvPath];
  if (!attempt) return state;
  const { [drvPath]: _ended, ...current } = worker.current;
  const start = attempt.startedAt ?? reportedStart;
  const interval = [start ?? end, Math.max(start ?? end, end)] as const;
  const recent =
    start === undefined
      ? worker.recent
      : worker.recent.length >= recentCapacity
        ? [...worker.recent.slice(worker.recent.length - recentCapacity + 1), interval]
        : [...worker.recent, interval];
  const lastContact = heardAt === undefined ? worker.lastContact : Math.max(worker.lastContact, heardAt);
  return withWorker(
    { ...state, running: deleteIn(state.running, drvPath) },
    { ...worker, current, recent, lastContact },
  );
}

function evolveBuild(state: WorkersState, event: BuildEvent, at: number): WorkersState {
  const { drvPath } = event.data;
  if (event.type === 'BuildDispatched') {
    const worker = getIn(state.workers, event.data.worker);
    if (!worker || worker.removed) return state;
    // A build has one current attempt: a dispatch replaces any the farm did not close.
    const previous = getIn(state.running, drvPath);
    const cleared = previous === undefined ? state : closeRunning(state, previous, drvPath, at);
    const fresh = getIn(cleared.workers, worker.name)!;
    const attempt = {
      drvPath,
      attemptId: event.data.attemptId,
      attempt: event.data.attempt,
      dispatchedAt: at,
    };
    return withWorker(
      { ...cleared, running: setIn(cleared.running, drvPath, worker.name) },
      { ...fresh, current: { ...fresh.current, [drvPath]: attempt } },
    );
  }
  const name = getIn(state.running, drvPath);
  if (name === undefined) return state;
  const worker = getIn(state.workers, name)!;
  const attempt = worker.current[drvPath];
  if (!attempt) return state;
  const ofAttempt = (attemptId: string | undefined) =>
    attemptId === undefined || attemptId === attempt.attemptId;
  switch (event.type) {
    case 'BuildStarted': {
      if (!ofAttempt(event.data.attemptId)) return state;
      const started = { ...attempt, startedAt: Date.parse(event.data.startedAt) };
      const lastContact = Math.max(worker.lastContact, at);
      return withWorker(state, {
        ...worker,
        current: { ...worker.current, [drvPath]: started },
        lastContact,
      });
    }
    case 'BuildSucceeded': {
      if (!ofAttempt(event.data.attemptId)) return state;
      const { startedAt, finishedAt } = event.data.timings;
      return endAttempt(state, worker, drvPath, Date.parse(finishedAt), at, Date.parse(startedAt));
    }
    case 'BuildFailed':
      // With its attempt, the worker's own result; without, the farm's (a dependency failed).
      if (!ofAttempt(event.data.attemptId)) return state;
      return endAttempt(state, worker, drvPath, at, event.data.attemptId === undefined ? undefined : at);
    case 'BuildRequeued':
      return ofAttempt(event.data.attemptId) ? endAttempt(state, worker, drvPath, at) : state;
    case 'BuildCancelled':
    case 'BuildSubstituted':
      return endAttempt(state, worker, drvPath, at);
    case 'BuildResultIgnored':
    case 'BuildLogStored':
      if (event.data.attemptId !== attempt.attemptId) return state;
      return withWorker(state, { ...worker, lastContact: Math.max(worker.lastContact, at) });
    case 'BuildQueued':
    case 'BuildWanted':
    case 'BuildRestarted':
      return state;
    default:
      return unreachable(event);
  }
}

function closeRunning(state: WorkersState, name: string, drvPath: string, end: number) {
  const worker = getIn(state.workers, name);
  return worker
    ? endAttempt(state, worker, drvPath, end)
    : { ...state, running: deleteIn(state.running, drvPath) };
}

export function evolveWorkers(
  state: WorkersState,
  projected: ProjectedEvent<WorkerEvent | BuildEvent>,
): WorkersState {
  const at = factMs(projected);
  const stamped = at > state.lastAt ? { ...state, lastAt: at } : state;
  const { event } = projected;
  return event.type.startsWith('Worker')
    ? evolveWorker(stamped, event as WorkerEvent, at)
    : evolveBuild(stamped, event as BuildEvent, at);
}
