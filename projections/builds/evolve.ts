/**
 * Folding build events into build records. Every change touches one build (plus, when new jobs
 * want it, the job index), so an event costs O(1) whatever the number of builds. Records are built
 * field by field in one shape: spreading a 16-field object per event cost more than the rest of the
 * fold.
 */
import type { Output, Wanter } from '../../domain/build/build.ts';
import type { BuildEvent } from '../../domain/build/events.ts';
import { drvHashPart } from '../../domain/shared/streams.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { appended, inserted } from '../shared/exact-arrays.ts';
import { factStored } from '../shared/fact-time.ts';
import { interned } from '../shared/interned.ts';
import { getIn, setIn } from '../shared/persistent-map.ts';
import { type StoredTime, storedTime } from '../shared/stored-time.ts';
import { type AttemptRecord, type Attempts, type BuildRecord, type BuildsState, idChunk } from './state.ts';

/** The build records after one more build event. */
export function evolveBuilds(state: BuildsState, projected: ProjectedEvent<BuildEvent>): BuildsState {
  const { event } = projected;
  const hash = drvHashPart(event.data.drvPath);
  if (hash === undefined) return state;
  const build = getIn(state.builds, hash);
  if (event.type === 'BuildQueued') return queued(state, build, hash, event, factStored(projected));
  if (!build) return state;
  const next = evolveRecord(build, event, projected);
  if (next === build) return state;
  const byJob =
    event.type === 'BuildWanted' ? indexJobs(state.byJob, build, event.data.wantedBy) : state.byJob;
  return { builds: setIn(state.builds, hash, next), ids: state.ids, byJob, lastId: state.lastId };
}

function queued(
  state: BuildsState,
  build: BuildRecord | undefined,
  hash: string,
  event: Extract<BuildEvent, { type: 'BuildQueued' }>,
  at: StoredTime,
): BuildsState {
  const { drvPath, priority, wantedBy } = event.data;
  const id = build?.id ?? state.lastId + 1;
  const record: BuildRecord = {
    id,
    drvPath,
    system: interned(event.data.system),
    status: 'queued',
    priority,
    queuedAt: at,
    finishedAt: null,
    wantedBy: mergeWanters(noWanters, wantedBy),
    wantedCount: wantedBy.length,
    attempts: build?.attempts ?? null,
    outputs: null,
    ending: null,
    restarts: build?.restarts ?? 0,
  };
  return {
    builds: setIn(state.builds, hash, record),
    ids: build ? state.ids : withId(state.ids, id, hash),
    byJob: indexJobs(state.byJob, undefined, wantedBy, id),
    lastId: Math.max(state.lastId, id),
  };
}

const noWanters: readonly string[] = [];

/** What only a finished build has. */
type End = Pick<BuildRecord, 'finishedAt' | 'outputs' | 'ending'>;
/** What the jobs wanting a build decide. */
type Wanted = Pick<BuildRecord, 'priority' | 'wantedBy' | 'wantedCount'>;

const unfinished: End = {
  finishedAt: null,
  outputs: null,
  ending: null,
};

/** The build's record with the given status, attempts and restarts, `end` and `wanted` (default: as they were). */
function record(
  build: BuildRecord,
  status: BuildRecord['status'],
  attempts: Attempts,
  restarts: number,
  end: End,
  wanted: Wanted = build,
): BuildRecord {
  return {
    id: build.id,
    drvPath: build.drvPath,
    system: build.system,
    status,
    priority: wanted.priority,
    queuedAt: build.queuedAt,
    finishedAt: end.finishedAt,
    wantedBy: wanted.wantedBy,
    wantedCount: wanted.wantedCount,
    attempts,
    outputs: end.outputs,
    ending: end.ending,
    restarts,
  };
}

/** The record with only its attempts changed. */
function withAttempts(build: BuildRecord, attempts: Attempts): BuildRecord {
  return attempts === build.attempts ? build : record(build, build.status, attempts, build.restarts, build);
}

/** A finished build's `End`, with the fields its status has. */
function ended(finishedAt: StoredTime, fields: Partial<End>): End {
  return {
    finishedAt,
    outputs: fields.outputs ?? null,
    ending: fields.ending ?? null,
  };
}

function evolveRecord(
  build: BuildRecord,
  event: BuildEvent,
  projected: ProjectedEvent<BuildEvent>,
): BuildRecord {
  switch (event.type) {
    case 'BuildQueued':
      return build;
    case 'BuildWanted': {
      const { wantedBy, priority } = event.data;
      return record(build, build.status, build.attempts, build.restarts, build, {
        priority: Math.max(build.priority, priority),
        wantedBy: mergeWanters(build.wantedBy, wantedBy),
        wantedCount: build.wantedCount + wantedBy.length,
      });
    }
    case 'BuildSubstituted':
      return record(
        build,
        'substituted',
        build.attempts,
        build.restarts,
        ended(factStored(projected), {
          outputs: outputPairs(event.data.outputs),
          ending: interned(event.data.from),
        }),
      );
    case 'BuildDispatched': {
      const { attemptId, worker, attempt } = event.data;
      const added = newAttempt(attemptId, interned(worker), attempt, factStored(projected));
      const attempts = attemptAdded(build.attempts, added);
      return record(build, 'dispatched', attempts, build.restarts, unfinished);
    }
    case 'BuildStarted': {
      const last = lastAttempt(build.attempts);
      if (build.status !== 'dispatched' || last?.attemptId !== event.data.attemptId) return build;
      const startedAt = storedTime(event.data.startedAt);
      const attempts = withAttempt(build, event.data.attemptId, (a) => changed(a, { startedAt }));
      return record(build, 'building', attempts, build.restarts, build);
    }
    case 'BuildLogStored': {
      const { attemptId, logRef, bytes } = event.data;
      return withAttempts(
        build,
        withAttempt(build, attemptId, (a) => changed(a, { logRef, logBytes: bytes })),
      );
    }
    case 'BuildSucceeded': {
      const { attemptId, timings } = event.data;
      const finishedAt = storedTime(timings.finishedAt);
      const attempts = withAttempt(build, attemptId, (a) =>
        changed(a, {
          startedAt: a.startedAt ?? storedTime(timings.startedAt),
          finishedAt,
          result: 'succeeded',
        }),
      );
      const end = ended(finishedAt, { outputs: outputPairs(event.data.outputs) });
      return record(build, 'succeeded', attempts, build.restarts, end);
    }
    case 'BuildFailed': {
      const { attemptId, reason, message } = event.data;
      const at = factStored(projected);
      const attempts =
        attemptId === undefined
          ? build.attempts
          : withAttempt(build, attemptId, (a) => changed(a, { finishedAt: at, result: 'failed' }));
      const end = ended(at, { ending: { reason, message: message ?? null } });
      return record(build, 'failed', attempts, build.restarts, end);
    }
    case 'BuildCancelled': {
      const at = factStored(projected);
      const end = ended(at, { ending: interned(event.data.by) });
      return record(build, 'cancelled', endRunning(build, at), build.restarts, end);
    }
    case 'BuildRestarted':
      return record(build, 'queued', build.attempts, build.restarts + 1, unfinished);
    case 'BuildRequeued': {
      const at = factStored(projected);
      const attempts = withAttempt(build, event.data.attemptId, (a) =>
        changed(a, { finishedAt: at, result: 'requeued' }),
      );
      return record(build, 'queued', attempts, build.restarts, unfinished);
    }
    case 'BuildResultIgnored': {
      const { attemptId, result } = event.data;
      return withAttempts(
        build,
        withAttempt(build, attemptId, (a) => changed(a, { lateResults: [...(a.lateResults ?? []), result] })),
      );
    }
    default:
      return unreachable(event);
  }
}

function newAttempt(
  attemptId: string,
  worker: string,
  number: number,
  dispatchedAt: StoredTime,
): AttemptRecord {
  return {
    attemptId,
    worker,
    number,
    dispatchedAt,
    startedAt: null,
    finishedAt: null,
    result: null,
    logRef: null,
    logBytes: null,
    lateResults: null,
  };
}

/** The attempt with the fields `change` sets changed (a change never clears one), in the one shape. */
function changed(
  a: AttemptRecord,
  change: Partial<Omit<AttemptRecord, 'attemptId' | 'worker' | 'number' | 'dispatchedAt'>>,
): AttemptRecord {
  return {
    attemptId: a.attemptId,
    worker: a.worker,
    number: a.number,
    dispatchedAt: a.dispatchedAt,
    startedAt: change.startedAt ?? a.startedAt,
    finishedAt: change.finishedAt ?? a.finishedAt,
    result: change.result ?? a.result,
    logRef: change.logRef ?? a.logRef,
    logBytes: change.logBytes ?? a.logBytes,
    lateResults: change.lateResults ?? a.lateResults,
  };
}

/** A lone `out` output as its path, else `name, path` pairs. */
function outputPairs(outputs: readonly Output[]): string | readonly string[] {
  const only = outputs.length === 1 ? outputs[0] : undefined;
  if (only) return only.name === 'out' ? only.path : [interned(only.name), only.path];
  const pairs: string[] = [];
  // Later outputs of one name win, as they did in the record `Object.fromEntries` made.
  for (const { name, path } of outputs) {
    let at = 0;
    while (at < pairs.length && pairs[at] !== name) at += 2;
    if (at < pairs.length) pairs[at + 1] = path;
    else pairs.push(interned(name), path);
  }
  // A copy at the exact length: `pairs` grew by `push` and has room to spare.
  return pairs.slice();
}

/** `attempts` with `added` after them. */
function attemptAdded(attempts: Attempts, added: AttemptRecord): Attempts {
  if (attempts === null) return added;
  return isList(attempts) ? appended(attempts, added) : [attempts, added];
}

function isList(attempts: Attempts): attempts is readonly AttemptRecord[] {
  return Array.isArray(attempts);
}

function lastAttempt(attempts: Attempts): AttemptRecord | undefined {
  if (attempts === null) return undefined;
  return isList(attempts) ? attempts[attempts.length - 1] : attempts;
}

/** The attempts with the one of `attemptId` changed; the same value when there is none. */
function withAttempt(
  build: BuildRecord,
  attemptId: string,
  change: (attempt: AttemptRecord) => AttemptRecord,
): Attempts {
  const { attempts } = build;
  if (attempts === null) return attempts;
  if (!isList(attempts)) return attempts.attemptId === attemptId ? change(attempts) : attempts;
  // The attempt concerned is nearly always the last one: search from the end.
  for (let i = attempts.length - 1; i >= 0; i--) {
    const attempt = attempts[i]!;
    if (attempt.attemptId === attemptId) {
      const changed = attempts.slice();
      changed[i] = change(attempt);
      return changed;
    }
  }
  return attempts;
}

function endRunning(build: BuildRecord, at: StoredTime): Attempts {
  const last = lastAttempt(build.attempts);
  if (!last || last.result !== null || (build.status !== 'dispatched' && build.status !== 'building'))
    return build.attempts;
  return withAttempt(build, last.attemptId, (a) => changed(a, { finishedAt: at, result: 'cancelled' }));
}

/**
 * `known` (flat `spec, job, evaluation` triples) with each wanter added, or its evaluation updated.
 * Arrays are made at their exact length (see exact-arrays.ts).
 */
function mergeWanters(known: readonly string[], wanters: readonly Wanter[]): readonly string[] {
  let merged = known;
  for (const { spec, job, evaluation } of wanters) {
    let i = 0;
    while (i < merged.length && (merged[i] !== spec || merged[i + 1] !== job)) i += 3;
    if (i === merged.length) {
      const triple = [interned(spec), interned(job), interned(evaluation)];
      merged = merged.length === 0 ? triple : appended(merged, ...triple);
    } else if (merged[i + 2] !== evaluation) {
      const updated = merged === known ? merged.slice() : (merged as string[]);
      updated[i + 2] = interned(evaluation);
      merged = updated;
    }
  }
  return merged;
}

/** True when the build's record already lists `job` (then the job index has its id). */
function listsJob(build: BuildRecord | undefined, job: string): boolean {
  if (!build) return false;
  for (let i = 1; i < build.wantedBy.length; i += 3) if (build.wantedBy[i] === job) return true;
  return false;
}

function indexJobs(
  byJob: BuildsState['byJob'],
  build: BuildRecord | undefined,
  wanters: readonly Wanter[],
  id = build?.id ?? 0,
): BuildsState['byJob'] {
  let next = byJob;
  for (const { job } of wanters) {
    if (listsJob(build, job)) continue;
    const ids = getIn(next, job);
    if (ids === undefined) {
      next = setIn(next, interned(job), [id]);
      continue;
    }
    if (ids.includes(id)) continue;
    const at = ids.findLastIndex((other) => other < id) + 1;
    next = setIn(next, job, inserted(ids, at, id));
  }
  return next;
}

/** The id index with `id` (the next one) naming `hash`. */
function withId(ids: BuildsState['ids'], id: number, hash: string): BuildsState['ids'] {
  const key = String(Math.floor((id - 1) / idChunk));
  const chunk = getIn(ids, key);
  return setIn(ids, key, chunk === undefined ? [hash] : appended(chunk, hash));
}
