/**
 * Folding build events into the queue. Every change of a build goes through `replace`, which takes
 * the old version out of its lane and puts the new one in; a build that gets outputs releases the
 * builds waiting on it, which costs O(its dependents).
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { deleteIn, emptyMap, getIn, setIn } from '../shared/persistent-map.ts';
import { factTime } from './fact-time.ts';
import { type BuildBasics, type Lane, type QueueBuild, type QueueState, waiterChunk } from './state.ts';

type Queued = Extract<QueueBuild, { status: 'queued' }>;
type Side = 'ready' | 'blocked';

function sideOf(build: Queued): Side {
  return build.pending.length === 0 ? 'ready' : 'blocked';
}

function withLane(state: QueueState, build: Queued, change: (lane: Lane) => Lane): QueueState {
  const side = sideOf(build);
  const key = String(build.priority);
  const system = state.lanes[build.system] ?? { ready: {}, blocked: {} };
  const lane = system[side][key] ?? emptyMap<number>();
  const next = change(lane);
  if (next === lane) return state;
  const lanes = { ...system[side] };
  if (next.size === 0) delete lanes[key];
  else lanes[key] = next;
  return { ...state, lanes: { ...state.lanes, [build.system]: { ...system, [side]: lanes } } };
}

/** Stores `after` as the build at `drvPath`, moving it between lanes as its status requires. */
function replace(state: QueueState, drvPath: string, before: QueueBuild | undefined, after: QueueBuild) {
  let next = state;
  if (before?.status === 'queued') {
    next = withLane(next, before, (lane) => deleteIn(lane, drvPath));
    if (before.notBefore !== undefined) next = { ...next, deferred: deleteIn(next.deferred, drvPath) };
  }
  if (after.status === 'queued') {
    next = withLane(next, after, (lane) => setIn(lane, drvPath, after.queuedAt));
    if (after.notBefore !== undefined)
      next = { ...next, deferred: setIn(next.deferred, drvPath, after.notBefore) };
  }
  return { ...next, builds: setIn(next.builds, drvPath, after) };
}

function addWaiter(state: QueueState, dependency: string, dependent: string): QueueState {
  const count = getIn(state.waiterCounts, dependency) ?? 0;
  const key = `${dependency} ${Math.floor(count / waiterChunk)}`;
  const chunk = getIn(state.waiters, key) ?? [];
  return {
    ...state,
    waiters: setIn(state.waiters, key, [...chunk, dependent]),
    waiterCounts: setIn(state.waiterCounts, dependency, count + 1),
  };
}

/** Puts a build (back) in the queue, waiting on its dependencies that have no outputs yet. */
function enqueue(
  state: QueueState,
  drvPath: string,
  before: QueueBuild | undefined,
  basics: BuildBasics,
  notBefore?: number,
): QueueState {
  const pending = basics.dependencies.filter((dep) => getIn(state.builds, dep)?.satisfied !== true);
  const queued: Queued = {
    ...basics,
    status: 'queued',
    pending,
    ...(notBefore === undefined ? {} : { notBefore }),
  };
  let next = replace(state, drvPath, before, queued);
  for (const dependency of pending) next = addWaiter(next, dependency, drvPath);
  return next;
}

/** The dependency got outputs: each queued dependent stops waiting on it. */
function release(state: QueueState, dependency: string): QueueState {
  const count = getIn(state.waiterCounts, dependency);
  if (count === undefined) return state;
  let next: QueueState = { ...state, waiterCounts: deleteIn(state.waiterCounts, dependency) };
  for (let chunk = 0; chunk * waiterChunk < count; chunk++) {
    const key = `${dependency} ${chunk}`;
    for (const dependent of getIn(next.waiters, key) ?? []) {
      const build = getIn(next.builds, dependent);
      if (build?.status !== 'queued' || !build.pending.includes(dependency)) continue;
      const pending = build.pending.filter((dep) => dep !== dependency);
      next = replace(next, dependent, build, { ...build, pending });
    }
    next = { ...next, waiters: deleteIn(next.waiters, key) };
  }
  return next;
}

function basicsOf(build: QueueBuild): BuildBasics {
  const { system, priority, dependencies, queuedAt, satisfied } = build;
  return { system, priority, dependencies, queuedAt, satisfied };
}

function finish(
  state: QueueState,
  drvPath: string,
  build: QueueBuild,
  status: 'succeeded' | 'substituted' | 'failed' | 'cancelled',
): QueueState {
  const gotOutputs = status === 'succeeded' || status === 'substituted';
  const after: QueueBuild = { ...basicsOf(build), status, satisfied: build.satisfied || gotOutputs };
  const next = replace(state, drvPath, build, after);
  return gotOutputs ? release(next, drvPath) : next;
}

function evolveKnown(state: QueueState, event: BuildEvent, build: QueueBuild, at: number): QueueState {
  const { drvPath } = event.data;
  switch (event.type) {
    case 'BuildQueued':
      return state;
    case 'BuildWanted':
      if (event.data.priority <= build.priority) return state;
      return replace(state, drvPath, build, { ...build, priority: event.data.priority });
    case 'BuildSubstituted':
      return finish(state, drvPath, build, 'substituted');
    case 'BuildSucceeded':
      return finish(state, drvPath, build, 'succeeded');
    case 'BuildFailed':
      return finish(state, drvPath, build, 'failed');
    case 'BuildCancelled':
      return finish(state, drvPath, build, 'cancelled');
    case 'BuildDispatched':
      return replace(state, drvPath, build, { ...basicsOf(build), status: 'dispatched' });
    case 'BuildStarted':
      if (build.status !== 'dispatched') return state;
      return replace(state, drvPath, build, { ...basicsOf(build), status: 'building' });
    case 'BuildRestarted':
      return enqueue(state, drvPath, build, { ...basicsOf(build), queuedAt: at });
    case 'BuildRequeued':
      return enqueue(state, drvPath, build, basicsOf(build), Date.parse(event.data.notBefore));
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return state;
    default:
      return unreachable(event);
  }
}

export function evolveQueue(state: QueueState, projected: ProjectedEvent<BuildEvent>): QueueState {
  const { event } = projected;
  const at = factTime(projected);
  const stamped = at > state.lastAt ? { ...state, lastAt: at } : state;
  const build = getIn(state.builds, event.data.drvPath);
  if (event.type === 'BuildQueued') {
    const { drvPath, system, priority, dependencies } = event.data;
    const satisfied = build?.satisfied ?? false;
    return enqueue(stamped, drvPath, build, { system, priority, dependencies, queuedAt: at, satisfied });
  }
  if (build === undefined) return stamped;
  return evolveKnown(stamped, event, build, at);
}
