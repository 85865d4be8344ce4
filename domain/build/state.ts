/**
 * The state of a build stream: a union keyed on `status`, each case holding only what is true in it.
 */
import type { Actor } from '../shared/metadata.ts';
import type { IsoTime } from '../shared/time.ts';
import { unreachable } from '../shared/unreachable.ts';
import type { Attempt, FailureReason, Output, Wanter } from './build.ts';
import type { BuildEvent } from './events.ts';

/** What every queued build knows, whatever its status. */
export interface BuildBasics {
  readonly drvPath: string;
  readonly system: string;
  readonly priority: number;
  readonly wantedBy: readonly Wanter[];
  readonly dependencies: readonly string[];
  /** Every attempt so far, oldest first. */
  readonly attempts: readonly Attempt[];
}

export type BuildState =
  | { readonly status: 'none' }
  | (BuildBasics & { readonly status: 'queued'; readonly notBefore?: IsoTime })
  | (BuildBasics & { readonly status: 'dispatched'; readonly current: Attempt })
  | (BuildBasics & { readonly status: 'building'; readonly current: Attempt; readonly startedAt: IsoTime })
  | (BuildBasics & { readonly status: 'succeeded'; readonly outputs: readonly Output[] })
  | (BuildBasics & { readonly status: 'failed'; readonly reason: FailureReason })
  | (BuildBasics & { readonly status: 'cancelled'; readonly by: Actor })
  | (BuildBasics & {
      readonly status: 'substituted';
      readonly from: string;
      readonly outputs: readonly Output[];
    });

/** A build that exists. */
export type KnownBuild = Exclude<BuildState, { status: 'none' }>;

/** Statuses a build never leaves without a restart. */
export const finishedStatuses = ['succeeded', 'failed', 'cancelled', 'substituted'] as const;

export type FinishedBuild = Extract<BuildState, { status: (typeof finishedStatuses)[number] }>;

export function isFinished(state: BuildState): state is FinishedBuild {
  return (finishedStatuses as readonly string[]).includes(state.status);
}

export const initialBuildState: BuildState = { status: 'none' };

/**
 * Events that may follow a build's end without changing its status: an ended attempt's log stored
 * late, or its result recorded as stale. Whoever tells a build's status from the end of its stream
 * reads back past them.
 */
const statusKeepingAfterEnd: ReadonlySet<BuildEvent['type']> = new Set([
  'BuildLogStored',
  'BuildResultIgnored',
]);

export function keepsStatusAfterEnd(type: string): boolean {
  return statusKeepingAfterEnd.has(type as BuildEvent['type']);
}

function basics(state: KnownBuild): BuildBasics {
  const { drvPath, system, priority, wantedBy, dependencies, attempts } = state;
  return { drvPath, system, priority, wantedBy, dependencies, attempts };
}

function hasCurrent(
  state: BuildState,
  attemptId: string,
): state is Extract<BuildState, { current: Attempt }> {
  return (
    (state.status === 'dispatched' || state.status === 'building') && state.current.attemptId === attemptId
  );
}

export function evolveBuild(state: BuildState, event: BuildEvent): BuildState {
  if (event.type === 'BuildQueued') {
    const { drvPath, system, wantedBy, priority, dependencies } = event.data;
    return { status: 'queued', drvPath, system, priority, wantedBy, dependencies, attempts: [] };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'BuildWanted': {
      const priority = Math.max(state.priority, event.data.priority);
      return { ...state, priority, wantedBy: [...state.wantedBy, ...event.data.wantedBy] };
    }
    case 'BuildSubstituted':
      return { ...basics(state), status: 'substituted', from: event.data.from, outputs: event.data.outputs };
    case 'BuildDispatched': {
      const { attemptId, worker, attempt } = event.data;
      const current = { attemptId, worker, number: attempt };
      return { ...basics(state), attempts: [...state.attempts, current], status: 'dispatched', current };
    }
    case 'BuildStarted':
      if (state.status !== 'dispatched' || !hasCurrent(state, event.data.attemptId)) return state;
      return { ...state, status: 'building', startedAt: event.data.startedAt };
    case 'BuildSucceeded':
      return { ...basics(state), status: 'succeeded', outputs: event.data.outputs };
    case 'BuildFailed':
      return { ...basics(state), status: 'failed', reason: event.data.reason };
    case 'BuildCancelled':
      return { ...basics(state), status: 'cancelled', by: event.data.by };
    case 'BuildRestarted':
      return { ...basics(state), status: 'queued' };
    case 'BuildRequeued':
      return { ...basics(state), status: 'queued', notBefore: event.data.notBefore };
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return state;
    default:
      return unreachable(event);
  }
}
