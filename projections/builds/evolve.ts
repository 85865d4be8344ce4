/**
 * Folding build events into build documents. Every change touches one build (plus, when new jobs
 * want it, the job index), so an event costs O(1) whatever the number of builds.
 */
import type { Wanter } from '../../domain/build/build.ts';
import type { BuildEvent } from '../../domain/build/events.ts';
import { drvHashPart } from '../../domain/shared/streams.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { editMap, getIn, setIn } from '../shared/persistent-map.ts';
import { factTime } from './fact-time.ts';
import type { AttemptDoc, BuildDoc, BuildsState, WantedByDoc } from './state.ts';

/** The build documents after one more build event. */
export function evolveBuilds(state: BuildsState, projected: ProjectedEvent<BuildEvent>): BuildsState {
  const { event } = projected;
  const hash = drvHashPart(event.data.drvPath);
  if (hash === undefined) return state;
  const at = factTime(projected);
  const build = getIn(state.builds, hash);
  if (event.type === 'BuildQueued') return queued(state, build, hash, event, at);
  if (!build) return state;
  const next = evolveDoc(build, event, at);
  if (next === build) return state;
  let byJob = state.byJob;
  if (event.type === 'BuildWanted') byJob = indexJobs(byJob, build.id, event.data.wantedBy);
  return { ...state, builds: setIn(state.builds, hash, next), byJob };
}

function queued(
  state: BuildsState,
  build: BuildDoc | undefined,
  hash: string,
  event: Extract<BuildEvent, { type: 'BuildQueued' }>,
  at: string,
): BuildsState {
  const { drvPath, system, priority, wantedBy } = event.data;
  const id = build?.id ?? state.lastId + 1;
  const doc: BuildDoc = {
    id,
    hash,
    drvPath,
    system,
    status: 'queued',
    priority,
    queuedAt: at,
    wantedBy: mergeWanters([], wantedBy),
    wantedCount: wantedBy.length,
    attempts: build?.attempts ?? [],
    restarts: build?.restarts ?? 0,
  };
  return {
    builds: setIn(state.builds, hash, doc),
    ids: build ? state.ids : setIn(state.ids, String(id), hash),
    byJob: indexJobs(state.byJob, id, wantedBy),
    lastId: Math.max(state.lastId, id),
  };
}

function evolveDoc(build: BuildDoc, event: BuildEvent, at: string): BuildDoc {
  switch (event.type) {
    case 'BuildQueued':
      return build;
    case 'BuildWanted':
      return {
        ...build,
        priority: Math.max(build.priority, event.data.priority),
        wantedBy: mergeWanters(build.wantedBy, event.data.wantedBy),
        wantedCount: build.wantedCount + event.data.wantedBy.length,
      };
    case 'BuildSubstituted': {
      const outputs = Object.fromEntries(event.data.outputs.map((output) => [output.name, output.path]));
      return {
        ...unfinished(build),
        status: 'substituted',
        finishedAt: at,
        outputs,
        substitutedFrom: event.data.from,
      };
    }
    case 'BuildDispatched': {
      const { attemptId, worker, attempt } = event.data;
      const doc: AttemptDoc = { attemptId, worker, number: attempt, dispatchedAt: at };
      return { ...unfinished(build), status: 'dispatched', attempts: [...build.attempts, doc] };
    }
    case 'BuildStarted':
      if (build.status !== 'dispatched' || lastAttempt(build)?.attemptId !== event.data.attemptId)
        return build;
      return {
        ...build,
        status: 'building',
        attempts: withAttempt(build, event.data.attemptId, (a) => ({
          ...a,
          startedAt: event.data.startedAt,
        })),
      };
    case 'BuildLogStored': {
      const { attemptId, logRef, bytes } = event.data;
      return {
        ...build,
        attempts: withAttempt(build, attemptId, (a) => ({ ...a, logRef, logBytes: bytes })),
      };
    }
    case 'BuildSucceeded': {
      const { attemptId, timings } = event.data;
      const outputs = Object.fromEntries(event.data.outputs.map((output) => [output.name, output.path]));
      return {
        ...unfinished(build),
        status: 'succeeded',
        finishedAt: timings.finishedAt,
        outputs,
        attempts: withAttempt(build, attemptId, (a) => ({
          ...a,
          startedAt: a.startedAt ?? timings.startedAt,
          finishedAt: timings.finishedAt,
          result: 'succeeded',
        })),
      };
    }
    case 'BuildFailed': {
      const { attemptId, reason, message } = event.data;
      const attempts =
        attemptId === undefined
          ? build.attempts
          : withAttempt(build, attemptId, (a) => ({ ...a, finishedAt: at, result: 'failed' }));
      return {
        ...unfinished(build),
        status: 'failed',
        finishedAt: at,
        failure: reason,
        ...(message === undefined ? {} : { failureMessage: message }),
        attempts,
      };
    }
    case 'BuildCancelled':
      return {
        ...unfinished(build),
        status: 'cancelled',
        finishedAt: at,
        cancelledBy: event.data.by,
        attempts: endRunning(build, at, 'cancelled'),
      };
    case 'BuildRestarted':
      return { ...unfinished(build), status: 'queued', restarts: build.restarts + 1 };
    case 'BuildRequeued':
      return {
        ...unfinished(build),
        status: 'queued',
        attempts: withAttempt(build, event.data.attemptId, (a) => ({
          ...a,
          finishedAt: at,
          result: 'requeued',
        })),
      };
    case 'BuildResultIgnored': {
      const { attemptId, result } = event.data;
      return {
        ...build,
        attempts: withAttempt(build, attemptId, (a) => ({
          ...a,
          lateResults: [...(a.lateResults ?? []), result],
        })),
      };
    }
    default:
      return unreachable(event);
  }
}

/** The document without what only a finished build has. */
function unfinished(build: BuildDoc): BuildDoc {
  const { finishedAt, outputs, substitutedFrom, failure, failureMessage, cancelledBy, ...rest } = build;
  return rest;
}

function lastAttempt(build: BuildDoc): AttemptDoc | undefined {
  return build.attempts[build.attempts.length - 1];
}

/** The attempts with the one of `attemptId` changed; the same array when there is none. */
function withAttempt(
  build: BuildDoc,
  attemptId: string,
  change: (attempt: AttemptDoc) => AttemptDoc,
): readonly AttemptDoc[] {
  // The attempt concerned is nearly always the last one: search from the end.
  for (let i = build.attempts.length - 1; i >= 0; i--) {
    const attempt = build.attempts[i]!;
    if (attempt.attemptId === attemptId) {
      const attempts = [...build.attempts];
      attempts[i] = change(attempt);
      return attempts;
    }
  }
  return build.attempts;
}

function endRunning(build: BuildDoc, at: string, result: 'cancelled'): readonly AttemptDoc[] {
  const last = lastAttempt(build);
  if (!last || last.result !== undefined || (build.status !== 'dispatched' && build.status !== 'building'))
    return build.attempts;
  return withAttempt(build, last.attemptId, (a) => ({ ...a, finishedAt: at, result }));
}

function mergeWanters(known: readonly WantedByDoc[], wanters: readonly Wanter[]): readonly WantedByDoc[] {
  if (wanters.length === 0) return known;
  const merged = [...known];
  for (const { spec, job, evaluation } of wanters) {
    const index = merged.findIndex((w) => w.spec === spec && w.job === job);
    if (index < 0) merged.push({ spec, job, evaluation });
    else merged[index] = { spec, job, evaluation };
  }
  return merged;
}

function indexJobs(
  byJob: BuildsState['byJob'],
  id: number,
  wanters: readonly Wanter[],
): BuildsState['byJob'] {
  if (wanters.every(({ job }) => getIn(byJob, job)?.includes(id))) return byJob;
  return editMap(byJob, (editor) => {
    for (const { job } of wanters) {
      const ids = editor.get(job) ?? [];
      if (ids.includes(id)) continue;
      const at = ids.findLastIndex((other) => other < id) + 1;
      editor.set(job, [...ids.slice(0, at), id, ...ids.slice(at)]);
    }
  });
}
