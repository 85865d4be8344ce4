/**
 * Queries of the jobsets read model. Job counts and weather are computed when asked, from the jobs of
 * the two latest completed evaluations and the derivations' build statuses: O(jobs of one evaluation)
 * per specification asked about, and nothing per build event.
 */

import { own } from '../../domain/shared/own.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import { outcomeOf } from '../branch-diff/diff.ts';
import { byName, drvPathOf, noJobList } from '../evaluations/job-list.ts';
import { type JobBuildStatus, type JobCounts, noJobs } from '../evaluations/state.ts';
import { getIn } from '../shared/persistent-map.ts';
import {
  type CompletedJobs,
  type JobsetsState,
  type LastEvaluation,
  noProgress,
  type SpecDoc,
  type SpecProgress,
} from './state.ts';

/** A specification with the job counts of its latest completed evaluation. */
export interface SpecView extends SpecDoc {
  readonly lastEvaluation?: LastEvaluation;
  /** The latest completed evaluation, if any. */
  readonly latestEvaluation?: {
    readonly id: string;
    readonly finishedAt: string;
    readonly counts: JobCounts;
  };
  /** Evaluations requested or started and not ended. */
  readonly runningEvaluations: readonly string[];
}

function statusOf(state: JobsetsState, drvPath: string): JobBuildStatus {
  return getIn(state.results, drvPath) ?? 'unscheduled';
}

function countsOf(state: JobsetsState, latest: CompletedJobs): JobCounts {
  const counts = { ...noJobs };
  for (let i = 1; i < latest.jobs.length; i += 2) counts[statusOf(state, latest.jobs[i]!)] += 1;
  return counts;
}

function progressOf(state: JobsetsState, name: string): SpecProgress {
  return getIn(state.progress, name) ?? noProgress;
}

function viewOf(state: JobsetsState, doc: SpecDoc): SpecView {
  const { lastEvaluation, running, latest } = progressOf(state, doc.name);
  return {
    ...doc,
    ...(lastEvaluation ? { lastEvaluation } : {}),
    runningEvaluations: Object.keys(running),
    ...(latest
      ? {
          latestEvaluation: {
            id: latest.evaluationId,
            finishedAt: latest.finishedAt,
            counts: countsOf(state, latest),
          },
        }
      : {}),
  };
}

/** Every specification, by name. */
export function listSpecs(state: JobsetsState): SpecView[] {
  return Object.keys(state.specs)
    .sort()
    .map((name) => viewOf(state, state.specs[name]!));
}

/** One specification, or `undefined`. */
export function getSpec(state: JobsetsState, name: string): SpecView | undefined {
  const doc = own(state.specs, name);
  return doc && viewOf(state, doc);
}

/** Hydra's and Cuirass's job "weather": the latest result compared with the one before. */
export type Weather = 'new-failure' | 'new-success' | 'still-failing' | 'still-succeeding' | 'pending';

export interface JobWeather {
  readonly job: string;
  readonly drvPath: string;
  readonly status: JobBuildStatus;
  /** The job's status in the previous completed evaluation, when it had the job. */
  readonly previousStatus?: JobBuildStatus;
  readonly weather: Weather;
}

function weatherOf(status: JobBuildStatus, previous: JobBuildStatus | undefined): Weather {
  const now = outcomeOf(status);
  const before = previous === undefined ? undefined : outcomeOf(previous);
  switch (now) {
    case 'pending':
      return 'pending';
    case 'success':
      return before === 'success' ? 'still-succeeding' : 'new-success';
    case 'failure':
      return before === 'failure' ? 'still-failing' : 'new-failure';
    default:
      return unreachable(now);
  }
}

/** The weather of every job of the latest completed evaluation, by name; `undefined` for an unknown specification. */
export function jobWeather(state: JobsetsState, spec: string): JobWeather[] | undefined {
  if (!own(state.specs, spec)) return undefined;
  const progress = progressOf(state, spec);
  if (!progress.latest) return [];
  const latest = progress.latest.jobs;
  const previous = progress.previous?.jobs ?? noJobList;
  return byName(latest).map((position) => {
    const job = latest[position]!;
    const drvPath = latest[position + 1]!;
    const status = statusOf(state, drvPath);
    const before = drvPathOf(previous, job);
    const previousStatus = before === undefined ? undefined : statusOf(state, before);
    return {
      job,
      drvPath,
      status,
      ...(previousStatus === undefined ? {} : { previousStatus }),
      weather: weatherOf(status, previousStatus),
    };
  });
}
