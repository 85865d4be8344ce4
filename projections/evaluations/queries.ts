/**
 * Queries of the evaluations read model.
 */

import { own } from '../../domain/shared/own.ts';
import { getIn } from '../shared/persistent-map.ts';
import { isoOf } from '../shared/stored-time.ts';
import { byName, drvPathOf, firstNameAfter } from './job-list.ts';
import type {
  EvaluationDoc,
  EvaluationStatus,
  EvaluationSummary,
  EvaluationsState,
  JobBuildStatus,
} from './state.ts';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The evaluation without its jobs, its times as ISO text (its fields in the order they were first set). */
export function summaryOf({ info, counts }: EvaluationDoc): EvaluationSummary {
  const summary: Writable<EvaluationSummary> = {
    id: info.id,
    spec: info.spec,
    status: info.status,
    trigger: info.trigger,
    checkouts: info.checkouts,
    requestedAt: isoOf(info.requestedAt),
    jobCount: info.jobCount,
    counts,
  };
  if (info.startedAt !== undefined) summary.startedAt = isoOf(info.startedAt);
  if (info.finishedAt !== undefined) summary.finishedAt = isoOf(info.finishedAt);
  if (info.durationMs !== undefined) summary.durationMs = info.durationMs;
  if (info.end !== undefined) summary.end = info.end;
  return summary;
}

export interface EvaluationPage {
  readonly evaluations: readonly EvaluationSummary[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  readonly nextCursor?: string;
}

/** A specification's evaluations, newest first; `before` is an evaluation id (exclusive). */
export function listEvaluations(
  state: EvaluationsState,
  spec: string,
  options: { readonly limit?: number; readonly before?: string } = {},
): EvaluationPage {
  const limit = Math.max(1, Math.min(options.limit ?? 20, 500));
  const ids = own(state.bySpec, spec) ?? [];
  let from = ids.length - 1;
  if (options.before !== undefined) from = ids.lastIndexOf(options.before) - 1;
  const evaluations: EvaluationSummary[] = [];
  for (let i = from; i >= 0 && evaluations.length < limit; i--) {
    const doc = getIn(state.evaluations, ids[i]!);
    if (doc) evaluations.push(summaryOf(doc));
  }
  const last = evaluations[evaluations.length - 1];
  const more = last !== undefined && ids.indexOf(last.id) > 0;
  return more ? { evaluations, nextCursor: last.id } : { evaluations };
}

/** One evaluation without its jobs, or `undefined`. */
export function getEvaluation(state: EvaluationsState, id: string): EvaluationSummary | undefined {
  const doc = getIn(state.evaluations, id);
  return doc && summaryOf(doc);
}

/** A job of an evaluation with its build's status. */
export interface EvaluationJob {
  readonly name: string;
  readonly drvPath: string;
  readonly status: JobBuildStatus;
}

/** The build status of a derivation as far as evaluations know (`unscheduled` before any build event). */
export function drvStatus(state: EvaluationsState, drvPath: string): JobBuildStatus {
  return getIn(state.drvs, drvPath)?.status ?? 'unscheduled';
}

export interface JobPage {
  readonly jobs: readonly EvaluationJob[];
  /** Pass as `cursor` for the next page (a job name, exclusive); absent on the last page. */
  readonly nextCursor?: string;
}

/** An evaluation's jobs by name, optionally of one status; `undefined` when the evaluation is unknown. */
export function evaluationJobs(
  state: EvaluationsState,
  id: string,
  options: { readonly status?: JobBuildStatus; readonly limit?: number; readonly cursor?: string } = {},
): JobPage | undefined {
  const doc = getIn(state.evaluations, id);
  if (!doc) return undefined;
  const limit = Math.max(1, Math.min(options.limit ?? 100, 5000));
  const positions = byName(doc.jobs);
  const jobs: EvaluationJob[] = [];
  const from = options.cursor === undefined ? 0 : firstNameAfter(doc.jobs, options.cursor);
  for (let i = from; i < positions.length; i++) {
    const name = doc.jobs[positions[i]!]!;
    const drvPath = doc.jobs[positions[i]! + 1]!;
    const status = drvStatus(state, drvPath);
    if (options.status !== undefined && status !== options.status) continue;
    if (jobs.length === limit) return { jobs, nextCursor: jobs[jobs.length - 1]!.name };
    jobs.push({ name, drvPath, status });
  }
  return { jobs };
}

/** The job in the newest completed evaluation of `spec` that has it (`/api/jobs/:spec/:job/latest`). */
export interface LatestJob extends EvaluationJob {
  readonly evaluationId: string;
  readonly evaluationStatus: EvaluationStatus;
}

export function latestJob(state: EvaluationsState, spec: string, job: string): LatestJob | undefined {
  const ids = own(state.bySpec, spec) ?? [];
  for (let i = ids.length - 1; i >= 0; i--) {
    const doc = getIn(state.evaluations, ids[i]!);
    if (doc?.info.status !== 'completed') continue;
    const drvPath = drvPathOf(doc.jobs, job);
    if (drvPath === undefined) continue;
    return {
      name: job,
      drvPath,
      status: drvStatus(state, drvPath),
      evaluationId: doc.info.id,
      evaluationStatus: doc.info.status,
    };
  }
  return undefined;
}
