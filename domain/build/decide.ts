/**
 * Decisions of a build stream. The attempt id fences results: only the current attempt may start,
 * succeed or fail the build; anything else is recorded as ignored and changes nothing.
 */
import { DomainError } from '../shared/errors.ts';
import { isAtOrAfter } from '../shared/time.ts';
import { unreachable } from '../shared/unreachable.ts';
import { anySystem, type IgnoredWhy, type Wanter } from './build.ts';
import type {
  BuildCommand,
  CancelBuild,
  DispatchBuild,
  FailBuild,
  QueueBuild,
  RecordBuildLog,
  RequeueBuild,
  RestartBuild,
  StartBuild,
  SubstituteBuild,
  SucceedBuild,
} from './commands.ts';
import type { BuildEvent, BuildResultIgnored } from './events.ts';
import { type BuildState, isFinished, type KnownBuild } from './state.ts';

type Live = Extract<BuildState, { status: 'queued' | 'dispatched' | 'building' }>;

function known(state: BuildState, drvPath: string): KnownBuild {
  if (state.status === 'none')
    throw new DomainError('TALLY_BUILD_NOT_FOUND', `No build of ${drvPath} was queued`);
  return state;
}

function live(state: BuildState, drvPath: string): Live {
  const build = known(state, drvPath);
  if (isFinished(build))
    throw new DomainError('TALLY_BUILD_ALREADY_FINISHED', `The build of ${drvPath} has ${build.status}`);
  return build as Live;
}

/** True when `attemptId` is the attempt the build is waiting on. */
function isCurrent(state: KnownBuild, attemptId: string): boolean {
  return (
    (state.status === 'dispatched' || state.status === 'building') && state.current.attemptId === attemptId
  );
}

function ignored(
  state: KnownBuild,
  attemptId: string,
  result: BuildResultIgnored['data']['result'],
): BuildEvent[] {
  const why: IgnoredWhy = state.attempts.some((a) => a.attemptId === attemptId)
    ? 'stale-attempt'
    : 'unknown-attempt';
  return [{ type: 'BuildResultIgnored', data: { drvPath: state.drvPath, attemptId, why, result } }];
}

function queue(command: QueueBuild, state: BuildState): BuildEvent[] {
  const { drvPath, system, wantedBy, priority, dependencies } = command;
  if (state.status === 'none')
    return [{ type: 'BuildQueued', data: { drvPath, system, wantedBy, priority, dependencies } }];
  const key = (w: (typeof wantedBy)[number]) => `${w.spec}\u0000${w.evaluation}\u0000${w.job}`;
  const seen = new Set(state.wantedBy.map(key));
  const fresh = [];
  for (const wanter of wantedBy) {
    if (seen.has(key(wanter))) continue;
    seen.add(key(wanter));
    fresh.push(wanter);
  }
  if (fresh.length === 0 && priority <= state.priority) return [];
  const wanted: BuildEvent = { type: 'BuildWanted', data: { drvPath, wantedBy: fresh, priority } };
  const newcomer = newEvaluationOf(state.wantedBy, fresh);
  if (state.status !== 'cancelled' || newcomer === undefined) return [wanted];
  // Someone stopped the build for the evaluations that wanted it then, not for one that came later:
  // as Hydra builds a derivation again for a new evaluation after an abort, it goes back in the queue.
  const why = `wanted by evaluation ${newcomer} after it was cancelled`;
  return [wanted, { type: 'BuildRestarted', data: { drvPath, by: command.actor, why } }];
}

/**
 * What queueing decides for a build the caller knows exists and is not cancelled, without its history:
 * more jobs that want it, as given. `queue` decides the same on the history, except that it leaves out
 * wanters already recorded and decides nothing when none is new; the scheduler sends each run of
 * wanters once per evaluation, and a run sent again (a scheduling retried) carries the same event ids,
 * which the store recognises. Reading a build's history costs more with every evaluation that wanted
 * it: for a derivation that stays the same across thousands of evaluations, more than the rest of
 * scheduling it.
 */
export function wantExisting(command: QueueBuild): BuildEvent[] {
  const { drvPath, wantedBy, priority } = command;
  if (wantedBy.length === 0) return [];
  return [{ type: 'BuildWanted', data: { drvPath, wantedBy, priority } }];
}

/** The first evaluation among `fresh` that none of `known` belongs to. */
function newEvaluationOf(known: readonly Wanter[], fresh: readonly Wanter[]): string | undefined {
  const evaluations = new Set(known.map((wanter) => wanter.evaluation));
  return fresh.find((wanter) => !evaluations.has(wanter.evaluation))?.evaluation;
}

/**
 * A cache's copy matters only to a build still waiting: one already out or over needs nothing from it.
 * Refusing would lose more than the substitution: the scheduler sends it with the jobs that want the
 * build, all or nothing, and a scheduler that lost a race to queue the build would lose those too.
 */
function substitute(command: SubstituteBuild, state: BuildState): BuildEvent[] {
  const build = known(state, command.drvPath);
  if (build.status !== 'queued') return [];
  return [
    {
      type: 'BuildSubstituted',
      data: { drvPath: command.drvPath, from: command.from, outputs: command.outputs },
    },
  ];
}

function dispatch(command: DispatchBuild, state: BuildState): BuildEvent[] {
  const { drvPath, worker, attemptId, at } = command;
  const build = live(state, drvPath);
  if (isCurrent(build, attemptId) && build.status !== 'queued' && build.current.worker === worker.name)
    return [];
  if (build.status !== 'queued')
    throw new DomainError('TALLY_BUILD_NOT_QUEUED', `The build of ${drvPath} is ${build.status}`);
  if (build.notBefore !== undefined && !isAtOrAfter(at, build.notBefore))
    throw new DomainError('TALLY_BUILD_NOT_READY', `The build of ${drvPath} waits until ${build.notBefore}`);
  if (build.system !== anySystem && !worker.systems.includes(build.system))
    throw new DomainError('TALLY_BUILD_WRONG_SYSTEM', `Worker ${worker.name} does not build ${build.system}`);
  if (build.attempts.some((attempt) => attempt.attemptId === attemptId))
    throw new DomainError(
      'TALLY_BUILD_ATTEMPT_INVALID',
      `Attempt ${attemptId} of ${drvPath} was already used`,
    );
  const attempt = build.attempts.length + 1;
  return [{ type: 'BuildDispatched', data: { drvPath, worker: worker.name, attemptId, attempt } }];
}

function start(command: StartBuild, state: BuildState): BuildEvent[] {
  // A late start of an attempt that is no longer current is recorded, even once the build finished.
  const recorded = known(state, command.drvPath);
  if (!isCurrent(recorded, command.attemptId)) return ignored(recorded, command.attemptId, 'started');
  const build = live(state, command.drvPath);
  if (build.status === 'building') return [];
  return [
    {
      type: 'BuildStarted',
      data: { drvPath: command.drvPath, attemptId: command.attemptId, startedAt: command.at },
    },
  ];
}

function recordLog(command: RecordBuildLog, state: BuildState): BuildEvent[] {
  const { drvPath, attemptId, logRef, bytes } = command;
  const build = known(state, drvPath);
  if (!build.attempts.some((attempt) => attempt.attemptId === attemptId))
    throw new DomainError(
      'TALLY_BUILD_ATTEMPT_INVALID',
      `The build of ${drvPath} has no attempt ${attemptId}`,
    );
  return [{ type: 'BuildLogStored', data: { drvPath, attemptId, logRef, bytes } }];
}

function succeed(command: SucceedBuild, state: BuildState): BuildEvent[] {
  const { drvPath, attemptId, outputs, timings } = command;
  const build = known(state, drvPath);
  if (!isCurrent(build, attemptId)) return ignored(build, attemptId, 'succeeded');
  return [{ type: 'BuildSucceeded', data: { drvPath, attemptId, outputs, timings } }];
}

function fail(command: FailBuild, state: BuildState): BuildEvent[] {
  const { drvPath, attemptId, reason, message } = command;
  const said = message === undefined ? {} : { message };
  if (attemptId === undefined) {
    // Only a build no attempt runs for may fail without one: a running attempt ends with its own result.
    const build = live(state, drvPath);
    if (build.status !== 'queued')
      throw new DomainError(
        'TALLY_BUILD_NOT_QUEUED',
        `The build of ${drvPath} is ${build.status}: fail its attempt ${build.current?.attemptId ?? ''} instead`,
      );
    return [{ type: 'BuildFailed', data: { drvPath, reason, ...said } }];
  }
  const build = known(state, drvPath);
  if (!isCurrent(build, attemptId)) return ignored(build, attemptId, 'failed');
  return [{ type: 'BuildFailed', data: { drvPath, attemptId, reason, ...said } }];
}

function cancel(command: CancelBuild, state: BuildState): BuildEvent[] {
  live(state, command.drvPath);
  const why = command.why === undefined ? {} : { why: command.why };
  return [{ type: 'BuildCancelled', data: { drvPath: command.drvPath, by: command.actor, ...why } }];
}

function restart(command: RestartBuild, state: BuildState): BuildEvent[] {
  const build = known(state, command.drvPath);
  if (!isFinished(build))
    throw new DomainError('TALLY_BUILD_NOT_FINISHED', `The build of ${command.drvPath} is ${build.status}`);
  const why = command.why === undefined ? {} : { why: command.why };
  return [{ type: 'BuildRestarted', data: { drvPath: command.drvPath, by: command.actor, ...why } }];
}

function requeue(command: RequeueBuild, state: BuildState): BuildEvent[] {
  const { drvPath, attemptId, why, notBefore, detail } = command;
  const build = live(state, drvPath);
  if (!isCurrent(build, attemptId))
    throw new DomainError(
      'TALLY_BUILD_ATTEMPT_INVALID',
      `Attempt ${attemptId} is not the current one of ${drvPath}`,
    );
  const said = detail === undefined ? {} : { detail };
  return [{ type: 'BuildRequeued', data: { drvPath, attemptId, why, notBefore, ...said } }];
}

export function decideBuild(command: BuildCommand, state: BuildState): readonly BuildEvent[] {
  switch (command.type) {
    case 'QueueBuild':
      return queue(command, state);
    case 'SubstituteBuild':
      return substitute(command, state);
    case 'DispatchBuild':
      return dispatch(command, state);
    case 'StartBuild':
      return start(command, state);
    case 'RecordBuildLog':
      return recordLog(command, state);
    case 'SucceedBuild':
      return succeed(command, state);
    case 'FailBuild':
      return fail(command, state);
    case 'CancelBuild':
      return cancel(command, state);
    case 'RestartBuild':
      return restart(command, state);
    case 'RequeueBuild':
      return requeue(command, state);
    default:
      return unreachable(command);
  }
}
