/**
 * Queries of the jobsets read model. Job counts and weather are computed when asked, from the jobs of
 * a line's two latest completed evaluations and the derivations' build statuses: O(jobs of one
 * evaluation) per line of each specification asked about, and nothing per build event.
 */

import { own } from '../../domain/shared/own.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { LineBranches } from '../../domain/specification/line.ts';
import { outcomeOf } from '../branch-diff/diff.ts';
import { byName, drvPathOf, noJobList } from '../evaluations/job-list.ts';
import { type JobBuildStatus, type JobCounts, noJobs } from '../evaluations/state.ts';
import { getIn } from '../shared/persistent-map.ts';
import {
  type CompletedJobs,
  type JobsetsState,
  type LastEvaluation,
  type LineProgress,
  noProgress,
  type SpecDoc,
  type SpecProgress,
} from './state.ts';

/** A completed evaluation with the job counts of its jobs. */
export interface CountedEvaluation {
  readonly id: string;
  readonly finishedAt: string;
  readonly counts: JobCounts;
}

/** One line of a specification (one branch of a pattern channel), its weather apart from the others'. */
export interface LineView {
  /** What `jobWeather` takes to answer for this line. */
  readonly id: string;
  /** The branch of each pattern channel; none in a specification's only line. */
  readonly branches: LineBranches;
  readonly lastEvaluation?: LastEvaluation;
  /** The line's latest completed evaluation, if any. */
  readonly latestEvaluation?: CountedEvaluation;
  /** The line's evaluations requested or started and not ended. */
  readonly runningEvaluations: readonly string[];
}

/** A specification with the job counts of its latest completed evaluation, and of each line's. */
export interface SpecView extends SpecDoc {
  readonly lastEvaluation?: LastEvaluation;
  /** The latest completed evaluation of any line still there, if any. */
  readonly latestEvaluation?: CountedEvaluation;
  /** Evaluations requested or started and not ended. */
  readonly runningEvaluations: readonly string[];
  /** Its lines by id; a deleted branch's are gone. */
  readonly lines: readonly LineView[];
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

function counted(
  state: JobsetsState,
  latest: CompletedJobs | undefined,
): { latestEvaluation?: CountedEvaluation } {
  if (!latest) return {};
  const { evaluationId: id, finishedAt } = latest;
  return { latestEvaluation: { id, finishedAt, counts: countsOf(state, latest) } };
}

function lineViewOf(state: JobsetsState, progress: SpecProgress, id: string, line: LineProgress): LineView {
  const { branches, lastEvaluation, latest } = line;
  return {
    id,
    branches,
    ...(lastEvaluation ? { lastEvaluation } : {}),
    ...counted(state, latest),
    runningEvaluations: Object.keys(progress.running).filter((each) => progress.running[each]?.line === id),
  };
}

function viewOf(state: JobsetsState, doc: SpecDoc): SpecView {
  const progress = progressOf(state, doc.name);
  const { lastEvaluation, running, lines, latestLine } = progress;
  const latest = latestLine === undefined ? undefined : own(lines, latestLine)?.latest;
  return {
    ...doc,
    ...(lastEvaluation ? { lastEvaluation } : {}),
    ...counted(state, latest),
    runningEvaluations: Object.keys(running),
    lines: Object.keys(lines)
      .sort()
      .map((id) => lineViewOf(state, progress, id, lines[id]!)),
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
  /** The job's status in the previous completed evaluation of its line, when it had the job. */
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

/**
 * The weather of every job of line `line`'s latest completed evaluation (by default the line of the
 * specification's latest), by name, compared with the line's previous one; `undefined` for an unknown
 * specification or line.
 */
export function jobWeather(state: JobsetsState, spec: string, line?: string): JobWeather[] | undefined {
  if (!own(state.specs, spec)) return undefined;
  const progress = progressOf(state, spec);
  const id = line ?? progress.latestLine;
  const jobs = id === undefined ? undefined : own(progress.lines, id);
  if (line !== undefined && !jobs) return undefined;
  if (!jobs?.latest) return [];
  const latest = jobs.latest.jobs;
  const previous = jobs.previous?.jobs ?? noJobList;
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
