/**
 * Folding build events into the queue. Every change of a build goes through `put`, which takes the
 * old version out of its lane and puts the new one in; a build that gets outputs releases the builds
 * waiting on it, which costs O(its dependents).
 *
 * One event changes one `Draft`: a new state object made once per event, whose fields the steps below
 * replace as they go (it is nobody else's until it is returned). Spreading the whole state at every
 * step made several objects per event and most of the fold's garbage.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import { own } from '../../domain/shared/own.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { appended } from '../shared/exact-arrays.ts';
import { factMs } from '../shared/fact-time.ts';
import { interned } from '../shared/interned.ts';
import { deleteIn, emptyMap, entriesOf, getIn, setIn } from '../shared/persistent-map.ts';
import { type Lane, type QueueBuild, type QueueState, waiterChunk } from './state.ts';

type Draft = { -readonly [K in keyof QueueState]: QueueState[K] };
/** What a build keeps whatever its status. */
type Basics = Pick<QueueBuild, 'system' | 'priority' | 'dependencies' | 'queuedAt' | 'satisfied'>;
type Side = 'ready' | 'blocked';

const noPaths: readonly string[] = [];

/** The one shape of queue builds. */
function queueBuild(
  basics: Basics,
  status: QueueBuild['status'],
  pending: readonly string[] | null = null,
  notBefore: number | null = null,
): QueueBuild {
  return {
    status,
    system: basics.system,
    priority: basics.priority,
    dependencies: basics.dependencies,
    queuedAt: basics.queuedAt,
    satisfied: basics.satisfied,
    pending,
    notBefore,
  };
}

function sideOf(build: QueueBuild): Side {
  return build.pending === null || build.pending.length === 0 ? 'ready' : 'blocked';
}

function changeLane(draft: Draft, build: QueueBuild, change: (lane: Lane) => Lane): void {
  const side = sideOf(build);
  const key = String(build.priority);
  const system = own(draft.lanes, build.system) ?? { ready: {}, blocked: {} };
  const lane = system[side][key] ?? emptyMap<number>();
  const next = change(lane);
  if (next === lane) return;
  const lanes = { ...system[side] };
  if (next.size === 0) delete lanes[key];
  else lanes[key] = next;
  draft.lanes = { ...draft.lanes, [build.system]: { ...system, [side]: lanes } };
}

/** Stores `after` as the build at `drvPath`, moving it between lanes as its status requires. */
function put(draft: Draft, drvPath: string, before: QueueBuild | undefined, after: QueueBuild): void {
  if (before?.status === 'queued') {
    changeLane(draft, before, (lane) => deleteIn(lane, drvPath));
    if (before.notBefore !== null) draft.deferred = deleteIn(draft.deferred, drvPath);
  }
  if (after.status === 'queued') {
    changeLane(draft, after, (lane) => setIn(lane, drvPath, after.queuedAt));
    if (after.notBefore !== null) draft.deferred = setIn(draft.deferred, drvPath, after.notBefore);
  }
  draft.builds = setIn(draft.builds, drvPath, after);
}

function addWaiter(draft: Draft, dependency: string, dependent: string): void {
  const count = getIn(draft.waiterCounts, dependency) ?? 0;
  const key = `${dependency} ${Math.floor(count / waiterChunk)}`;
  const chunk = getIn(draft.waiters, key);
  draft.waiters = setIn(draft.waiters, key, chunk === undefined ? [dependent] : appended(chunk, dependent));
  draft.waiterCounts = setIn(draft.waiterCounts, dependency, count + 1);
}

/** Puts a build (back) in the queue, waiting on its dependencies that have no outputs yet. */
function enqueue(
  draft: Draft,
  drvPath: string,
  before: QueueBuild | undefined,
  basics: Basics,
  notBefore: number | null = null,
): void {
  const { dependencies } = basics;
  const pending =
    dependencies.length === 0
      ? noPaths
      : dependencies.filter((dep) => getIn(draft.builds, dep)?.satisfied !== true);
  put(draft, drvPath, before, queueBuild(basics, 'queued', pending, notBefore));
  for (const dependency of pending) addWaiter(draft, dependency, drvPath);
}

/** The dependency got outputs: each queued dependent stops waiting on it. */
function release(draft: Draft, dependency: string): void {
  const count = getIn(draft.waiterCounts, dependency);
  if (count === undefined) return;
  draft.waiterCounts = deleteIn(draft.waiterCounts, dependency);
  for (let chunk = 0; chunk * waiterChunk < count; chunk++) {
    const key = `${dependency} ${chunk}`;
    for (const dependent of getIn(draft.waiters, key) ?? []) {
      const build = getIn(draft.builds, dependent);
      if (build?.status !== 'queued' || !build.pending?.includes(dependency)) continue;
      const pending = build.pending.filter((dep) => dep !== dependency);
      put(draft, dependent, build, queueBuild(build, 'queued', pending, build.notBefore));
    }
    draft.waiters = deleteIn(draft.waiters, key);
  }
}

/**
 * The dependency is unfinished again (a succeeded build restarted): each queued build that depends on
 * it waits for it again. Queued builds are not indexed by what they no longer wait for, so they are
 * all looked at; restarting a build that had succeeded is rare, and done by hand.
 */
function blockDependents(draft: Draft, dependency: string): void {
  const dependents: string[] = [];
  for (const system of Object.values(draft.lanes))
    for (const lanes of [system.ready, system.blocked])
      for (const lane of Object.values(lanes))
        for (const [drvPath] of entriesOf(lane)) {
          const build = getIn(draft.builds, drvPath);
          if (build?.dependencies.includes(dependency) && !build.pending?.includes(dependency))
            dependents.push(drvPath);
        }
  for (const drvPath of dependents) {
    const build = getIn(draft.builds, drvPath)!;
    // In the order the build lists its dependencies, as `pending` keeps them.
    const pending = build.dependencies.filter((dep) => dep === dependency || build.pending?.includes(dep));
    put(draft, drvPath, build, queueBuild(build, 'queued', pending, build.notBefore));
    addWaiter(draft, dependency, drvPath);
  }
}

function finish(
  draft: Draft,
  drvPath: string,
  build: QueueBuild,
  status: 'succeeded' | 'substituted' | 'failed' | 'cancelled',
): void {
  const gotOutputs = status === 'succeeded' || status === 'substituted';
  const satisfied = build.satisfied || gotOutputs;
  const after = queueBuild(
    {
      system: build.system,
      priority: build.priority,
      dependencies: build.dependencies,
      queuedAt: build.queuedAt,
      satisfied,
    },
    status,
  );
  put(draft, drvPath, build, after);
  if (gotOutputs) release(draft, drvPath);
}

/** Applies an event about a build the queue knows; false when it changes nothing. */
function evolveKnown(draft: Draft, event: BuildEvent, build: QueueBuild, at: number): boolean {
  const { drvPath } = event.data;
  switch (event.type) {
    case 'BuildQueued':
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return false;
    case 'BuildWanted': {
      const { priority } = event.data;
      if (priority <= build.priority) return false;
      const basics = { ...basicsOf(build), priority };
      put(draft, drvPath, build, queueBuild(basics, build.status, build.pending, build.notBefore));
      return true;
    }
    case 'BuildSubstituted':
      finish(draft, drvPath, build, 'substituted');
      return true;
    case 'BuildSucceeded':
      finish(draft, drvPath, build, 'succeeded');
      return true;
    case 'BuildFailed':
      finish(draft, drvPath, build, 'failed');
      return true;
    case 'BuildCancelled':
      finish(draft, drvPath, build, 'cancelled');
      return true;
    case 'BuildDispatched':
      put(draft, drvPath, build, queueBuild(build, 'dispatched'));
      return true;
    case 'BuildStarted':
      if (build.status !== 'dispatched') return false;
      put(draft, drvPath, build, queueBuild(build, 'building'));
      return true;
    case 'BuildRestarted':
      enqueue(draft, drvPath, build, { ...basicsOf(build), queuedAt: at, satisfied: false });
      if (build.satisfied) blockDependents(draft, drvPath);
      return true;
    case 'BuildRequeued':
      enqueue(draft, drvPath, build, build, Date.parse(event.data.notBefore));
      return true;
    default:
      return unreachable(event);
  }
}

function basicsOf(build: QueueBuild): Basics {
  return {
    system: build.system,
    priority: build.priority,
    dependencies: build.dependencies,
    queuedAt: build.queuedAt,
    satisfied: build.satisfied,
  };
}

export function evolveQueue(state: QueueState, projected: ProjectedEvent<BuildEvent>): QueueState {
  const { event } = projected;
  const at = factMs(projected);
  const draft: Draft = {
    builds: state.builds,
    lanes: state.lanes,
    deferred: state.deferred,
    waiters: state.waiters,
    waiterCounts: state.waiterCounts,
    // biome-ignore lint/complexity/useMathMinMax: a time that is not a number (NaN) must not become lastAt.
    lastAt: at > state.lastAt ? at : state.lastAt,
  };
  const build = getIn(state.builds, event.data.drvPath);
  let changed: boolean;
  if (event.type === 'BuildQueued') {
    const { drvPath, system, priority, dependencies } = event.data;
    enqueue(draft, drvPath, build, {
      system: interned(system),
      priority,
      dependencies: dependencies.length === 0 ? noPaths : dependencies,
      queuedAt: at,
      satisfied: build?.satisfied ?? false,
    });
    changed = true;
  } else {
    changed = build !== undefined && evolveKnown(draft, event, build, at);
  }
  return changed || draft.lastAt !== state.lastAt ? draft : state;
}
