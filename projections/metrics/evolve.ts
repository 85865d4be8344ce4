/**
 * Folding build and evaluation events into daily and hourly buckets. A fact lands in the day of its
 * own time (a late fact updates an older day while it is kept); queue-length samples go to the latest
 * hour seen, since the length is the farm's current one.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import { factTime } from '../queue/fact-time.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
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
  type SpecOutcomes,
  type TrackedBuild,
} from './state.ts';

/** The state with the bucket of `at`'s day changed; facts older than every kept day are dropped. */
function onDay(state: MetricsState, at: number, change: (day: DayBucket) => DayBucket): MetricsState {
  const day = Math.floor(at / dayMs);
  const { days } = state;
  let index = days.length - 1;
  while (index >= 0 && days[index]!.day > day) index--;
  if (index >= 0 && days[index]!.day === day)
    return { ...state, days: days.with(index, change(days[index]!)) };
  if (index < 0 && days.length >= dayCapacity) return state;
  const next = [...days.slice(0, index + 1), change(emptyDay(day)), ...days.slice(index + 1)];
  return { ...state, days: next.length > dayCapacity ? next.slice(next.length - dayCapacity) : next };
}

function withQueueLength(state: MetricsState, queueLength: number, at: number): MetricsState {
  const latest = state.hours[state.hours.length - 1];
  const hour = Math.max(Math.floor(at / hourMs), latest?.hour ?? 0);
  let hours: HourBucket[];
  if (latest?.hour === hour) {
    hours = state.hours.with(state.hours.length - 1, {
      hour,
      last: queueLength,
      max: Math.max(latest.max, queueLength),
    });
  } else {
    hours = [...state.hours, { hour, last: queueLength, max: queueLength }];
    if (hours.length > hourCapacity) hours = hours.slice(hours.length - hourCapacity);
  }
  return { ...state, queueLength, hours };
}

function distinct(specs: readonly string[], more: readonly { readonly spec: string }[]): readonly string[] {
  let result = specs;
  for (const { spec } of more) if (!result.includes(spec)) result = [...result, spec];
  return result;
}

function track(state: MetricsState, drvPath: string, build: TrackedBuild): MetricsState {
  return { ...state, builds: setIn(state.builds, drvPath, build) };
}

function finish(
  state: MetricsState,
  drvPath: string,
  build: TrackedBuild,
  outcome: Outcome,
  at: number,
  durationMs?: number,
): MetricsState {
  const totals = {
    ...state.totals,
    finished: { ...state.totals.finished, [outcome]: state.totals.finished[outcome] + 1 },
  };
  const failed = outcome === 'failed' || outcome === 'dependency-failed';
  let next = onDay({ ...state, totals }, at, (day) => {
    let specs = day.specs;
    if (outcome !== 'cancelled' && build.specs.length > 0) {
      const copy: Record<string, SpecOutcomes> = { ...specs };
      for (const spec of build.specs) {
        const before = copy[spec] ?? { finished: 0, failed: 0 };
        copy[spec] = { finished: before.finished + 1, failed: before.failed + (failed ? 1 : 0) };
      }
      specs = copy;
    }
    return {
      ...day,
      finished: { ...day.finished, [outcome]: day.finished[outcome] + 1 },
      buildDurations:
        durationMs === undefined ? day.buildDurations : addToSample(day.buildDurations, durationMs, drvPath),
      specs,
    };
  });
  next = track(next, drvPath, { specs: build.specs, live: false });
  return build.live ? withQueueLength(next, next.queueLength - 1, at) : next;
}

/** The build enters the queue again (restart or requeue): it waits from now. */
function reenter(state: MetricsState, drvPath: string, build: TrackedBuild, at: number): MetricsState {
  const next = track(state, drvPath, { specs: build.specs, live: true, enteredAt: at });
  return build.live ? next : withQueueLength(next, next.queueLength + 1, at);
}

function evolveBuild(state: MetricsState, event: BuildEvent, at: number): MetricsState {
  const { drvPath } = event.data;
  const build = getIn(state.builds, drvPath);
  if (event.type === 'BuildQueued') {
    const specs = distinct(build?.specs ?? [], event.data.wantedBy);
    const totals = { ...state.totals, derivations: state.totals.derivations + 1 };
    const counted = onDay({ ...state, totals }, at, (day) => ({
      ...day,
      newDerivations: day.newDerivations + 1,
    }));
    return reenter(counted, drvPath, build ?? { specs, live: false }, at);
  }
  if (build === undefined) return state;
  switch (event.type) {
    case 'BuildWanted': {
      const specs = distinct(build.specs, event.data.wantedBy);
      return specs === build.specs ? state : track(state, drvPath, { ...build, specs });
    }
    case 'BuildStarted': {
      if (build.enteredAt === undefined) return state;
      const wait = Math.max(0, Date.parse(event.data.startedAt) - build.enteredAt);
      const waited = onDay(state, at, (day) => ({
        ...day,
        queueWaits: addToSample(day.queueWaits, wait, drvPath),
      }));
      return track(waited, drvPath, { specs: build.specs, live: build.live });
    }
    case 'BuildSucceeded': {
      const { startedAt, finishedAt } = event.data.timings;
      const duration = Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt));
      return finish(state, drvPath, build, 'succeeded', at, duration);
    }
    case 'BuildSubstituted':
      return finish(state, drvPath, build, 'substituted', at);
    case 'BuildFailed':
      return finish(
        state,
        drvPath,
        build,
        event.data.reason.kind === 'dependency-failed' ? 'dependency-failed' : 'failed',
        at,
      );
    case 'BuildCancelled':
      return finish(state, drvPath, build, 'cancelled', at);
    case 'BuildRestarted':
    case 'BuildRequeued':
      return reenter(state, drvPath, build, at);
    case 'BuildDispatched':
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return state;
    default:
      return unreachable(event);
  }
}

function evolveEvaluation(state: MetricsState, event: EvaluationEvent, at: number): MetricsState {
  if (event.type !== 'EvaluationCompleted') return state;
  const { evaluationId, durationMs } = event.data;
  const totals = { ...state.totals, evaluations: state.totals.evaluations + 1 };
  return onDay({ ...state, totals }, at, (day) => ({
    ...day,
    evaluations: addToSample(day.evaluations, durationMs, evaluationId),
  }));
}

export function evolveMetrics(
  state: MetricsState,
  projected: ProjectedEvent<BuildEvent | EvaluationEvent>,
): MetricsState {
  const at = factTime(projected);
  const stamped = at > state.lastAt ? { ...state, lastAt: at } : state;
  const { event } = projected;
  return event.type.startsWith('Build')
    ? evolveBuild(stamped, event as BuildEvent, at)
    : evolveEvaluation(stamped, event as EvaluationEvent, at);
}
