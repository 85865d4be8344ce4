/**
 * Folding build and evaluation events into daily and hourly buckets. A fact lands in the day of its
 * own time (a late fact updates an older day while it is kept); queue-length samples go to the latest
 * hour seen, since the length is the farm's current one.
 *
 * Each event makes at most one new state: a copy of the previous one, private to this call, whose
 * fields are then replaced (never the objects they point to, which a query or snapshot may hold).
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import { noSpecs, withSpecs } from '../pipeline/spec-list.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { factMs } from '../shared/fact-time.ts';
import { getIn, setIn } from '../shared/persistent-map.ts';
import { addToSample } from './sample.ts';
import {
  type DayBucket,
  dayCapacity,
  dayMs,
  emptyDay,
  type HourBucket,
  hourCapacity,
  hourMs,
  type MetricsState,
  type Outcome,
  type TrackedBuild,
} from './state.ts';
import { trackedBuild, waitingBuild } from './tracked.ts';

/** A state made for one event, not yet handed out: its own fields may be set. */
type Draft = { -readonly [K in keyof MetricsState]: MetricsState[K] };

/** Changes the bucket of `at`'s day; facts older than every kept day are dropped. */
function onDay(draft: Draft, at: number, change: (day: DayBucket) => DayBucket): void {
  const day = Math.floor(at / dayMs);
  const { days } = draft;
  let index = days.length - 1;
  while (index >= 0 && days[index]!.day > day) index--;
  if (index >= 0 && days[index]!.day === day) {
    draft.days = days.with(index, change(days[index]!));
    return;
  }
  if (index < 0 && days.length >= dayCapacity) return;
  const next = [...days.slice(0, index + 1), change(emptyDay(day)), ...days.slice(index + 1)];
  draft.days = next.length > dayCapacity ? next.slice(next.length - dayCapacity) : next;
}

function setQueueLength(draft: Draft, queueLength: number, at: number): void {
  const latest = draft.hours[draft.hours.length - 1];
  const hour = Math.max(Math.floor(at / hourMs), latest?.hour ?? 0);
  let hours: HourBucket[];
  if (latest?.hour === hour) {
    hours = draft.hours.with(draft.hours.length - 1, {
      hour,
      last: queueLength,
      max: Math.max(latest.max, queueLength),
    });
  } else {
    hours = [...draft.hours, { hour, last: queueLength, max: queueLength }];
    if (hours.length > hourCapacity) hours = hours.slice(hours.length - hourCapacity);
  }
  draft.queueLength = queueLength;
  draft.hours = hours;
}

/**
 * The day's outcomes by specification with one more build of `specs` finished. A map rather than a
 * record: a record of a few hundred specifications copied per finished build was the fold's largest cost.
 */
function countSpecs(
  specs: DayBucket['specs'],
  wanting: readonly string[],
  failed: boolean,
): DayBucket['specs'] {
  let counted = specs;
  for (const spec of wanting) {
    const before = getIn(counted, spec);
    counted = setIn(
      counted,
      spec,
      before === undefined
        ? { finished: 1, failed: failed ? 1 : 0 }
        : { finished: before.finished + 1, failed: before.failed + (failed ? 1 : 0) },
    );
  }
  return counted;
}

function finish(
  draft: Draft,
  drvPath: string,
  build: TrackedBuild,
  outcome: Outcome,
  at: number,
  durationMs?: number,
): void {
  const { totals } = draft;
  draft.totals = { ...totals, finished: { ...totals.finished, [outcome]: totals.finished[outcome] + 1 } };
  const failed = outcome === 'failed' || outcome === 'dependency-failed';
  const counted = outcome !== 'cancelled' && build.specs.length > 0;
  onDay(draft, at, (day) => ({
    ...day,
    finished: { ...day.finished, [outcome]: day.finished[outcome] + 1 },
    buildDurations:
      durationMs === undefined ? day.buildDurations : addToSample(day.buildDurations, durationMs, drvPath),
    specs: counted ? countSpecs(day.specs, build.specs, failed) : day.specs,
  }));
  draft.builds = setIn(draft.builds, drvPath, trackedBuild(build.specs, false));
  if (build.live) setQueueLength(draft, draft.queueLength - 1, at);
}

/** The build enters the queue again (restart or requeue): it waits from now. */
function reenter(draft: Draft, drvPath: string, build: TrackedBuild, at: number): void {
  draft.builds = setIn(draft.builds, drvPath, waitingBuild(build.specs, at));
  if (!build.live) setQueueLength(draft, draft.queueLength + 1, at);
}

/** Folds a build event into `draft`; false when the event changes nothing. */
function evolveBuild(draft: Draft, event: BuildEvent, at: number): boolean {
  const { drvPath } = event.data;
  const build = getIn(draft.builds, drvPath);
  if (event.type === 'BuildQueued') {
    const specs = withSpecs(build?.specs ?? noSpecs, event.data.wantedBy);
    draft.totals = { ...draft.totals, derivations: draft.totals.derivations + 1 };
    onDay(draft, at, (day) => ({ ...day, newDerivations: day.newDerivations + 1 }));
    reenter(draft, drvPath, build ?? trackedBuild(specs, false), at);
    return true;
  }
  if (build === undefined) return false;
  switch (event.type) {
    case 'BuildWanted': {
      const specs = withSpecs(build.specs, event.data.wantedBy);
      if (specs === build.specs) return false;
      const tracked =
        build.enteredAt === undefined
          ? trackedBuild(specs, build.live)
          : waitingBuild(specs, build.enteredAt, build.live);
      draft.builds = setIn(draft.builds, drvPath, tracked);
      return true;
    }
    case 'BuildStarted': {
      if (build.enteredAt === undefined) return false;
      const wait = Math.max(0, Date.parse(event.data.startedAt) - build.enteredAt);
      onDay(draft, at, (day) => ({ ...day, queueWaits: addToSample(day.queueWaits, wait, drvPath) }));
      draft.builds = setIn(draft.builds, drvPath, trackedBuild(build.specs, build.live));
      return true;
    }
    case 'BuildSucceeded': {
      const { startedAt, finishedAt } = event.data.timings;
      const duration = Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt));
      finish(draft, drvPath, build, 'succeeded', at, duration);
      return true;
    }
    case 'BuildSubstituted':
      finish(draft, drvPath, build, 'substituted', at);
      return true;
    case 'BuildFailed':
      finish(
        draft,
        drvPath,
        build,
        event.data.reason.kind === 'dependency-failed' ? 'dependency-failed' : 'failed',
        at,
      );
      return true;
    case 'BuildCancelled':
      finish(draft, drvPath, build, 'cancelled', at);
      return true;
    case 'BuildRestarted':
    case 'BuildRequeued':
      reenter(draft, drvPath, build, at);
      return true;
    case 'BuildDispatched': {
      // Out of the queue, to a worker; the wait is measured when it starts.
      if (!build.live) return false;
      draft.builds = setIn(
        draft.builds,
        drvPath,
        build.enteredAt === undefined
          ? trackedBuild(build.specs, false)
          : waitingBuild(build.specs, build.enteredAt, false),
      );
      setQueueLength(draft, draft.queueLength - 1, at);
      return true;
    }
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return false;
    default:
      return unreachable(event);
  }
}

function evolveEvaluation(draft: Draft, event: EvaluationEvent, at: number): boolean {
  if (event.type !== 'EvaluationCompleted') return false;
  const { evaluationId, durationMs } = event.data;
  draft.totals = { ...draft.totals, evaluations: draft.totals.evaluations + 1 };
  onDay(draft, at, (day) => ({
    ...day,
    evaluations: addToSample(day.evaluations, durationMs, evaluationId),
  }));
  return true;
}

export function evolveMetrics(
  state: MetricsState,
  projected: ProjectedEvent<BuildEvent | EvaluationEvent>,
): MetricsState {
  const at = factMs(projected);
  const draft: Draft = { ...state };
  if (at > state.lastAt) draft.lastAt = at;
  const { event } = projected;
  const changed = event.type.startsWith('Build')
    ? evolveBuild(draft, event as BuildEvent, at)
    : evolveEvaluation(draft, event as EvaluationEvent, at);
  return changed || draft.lastAt !== state.lastAt ? draft : state;
}
