/**
 * An evaluation's report once it has ended: what a notification tells. An evaluation ends when it fails
 * or is aborted, or, once completed, when no job's build is still to come (none unscheduled, queued,
 * dispatched or building). Its jobs are compared by name with the previous completed evaluation of its
 * line (the same branch of each pattern channel), as Hydra's and Cuirass's job "weather" does.
 */
import { own } from '../../domain/shared/own.ts';
import { lineOf } from '../../domain/specification/line.ts';
import type { Channel } from '../../domain/specification/specification.ts';
import { getIn } from '../shared/persistent-map.ts';
import { byName, drvPathOf } from './job-list.ts';
import { drvStatus, summaryOf } from './queries.ts';
import type {
  EvaluationDoc,
  EvaluationSummary,
  EvaluationsState,
  JobBuildStatus,
  JobCounts,
} from './state.ts';

/** How an evaluation ended, in a word. */
export type EvaluationOutcome = 'succeeded' | 'failed' | 'evaluation-failed' | 'aborted';

export interface ReportedJob {
  readonly job: string;
  readonly drvPath: string;
  readonly status: JobBuildStatus;
}

export interface EvaluationReport {
  readonly evaluation: EvaluationSummary;
  readonly outcome: EvaluationOutcome;
  /** The previous completed evaluation of the specification's line the jobs were compared with. */
  readonly comparedWith?: string;
  /** Jobs failing now that did not fail in the previous evaluation (or were not in it), by name. */
  readonly newFailures: readonly ReportedJob[];
  /** Jobs succeeding now that failed in the previous evaluation, by name. */
  readonly fixed: readonly ReportedJob[];
  /** True when a list was cut at `maxListedJobs`; the counts still cover every job. */
  readonly truncated: boolean;
}

/** At most this many jobs in each list of a report, so that a large jobset's report stays small. */
export const maxListedJobs = 100;

const stillToCome: readonly JobBuildStatus[] = ['unscheduled', 'queued', 'dispatched', 'building'];

type Outcome = 'success' | 'failure' | 'other';

function outcomeOf(status: JobBuildStatus): Outcome {
  if (status === 'succeeded' || status === 'substituted') return 'success';
  return status === 'failed' ? 'failure' : 'other';
}

/** True when no job of a completed evaluation waits for a build. */
export function allBuilt(counts: JobCounts): boolean {
  return stillToCome.every((status) => counts[status] === 0);
}

/**
 * The completed evaluation of the same specification and line just before `id`, if any: an evaluation
 * of another branch of a pattern channel is no baseline.
 */
function previousCompleted(
  state: EvaluationsState,
  doc: EvaluationDoc,
  channels: readonly Channel[],
): string | undefined {
  const { spec, id, checkouts } = doc.info;
  const line = lineOf(channels, checkouts);
  const ids = own(state.bySpec, spec) ?? [];
  for (let i = ids.lastIndexOf(id) - 1; i >= 0; i--) {
    const info = getIn(state.evaluations, ids[i]!)?.info;
    if (info?.status === 'completed' && lineOf(channels, info.checkouts) === line) return ids[i];
  }
  return undefined;
}

/**
 * The report of evaluation `id`, or `undefined` while it has not ended (or is unknown). `channels`:
 * its specification's, which tell the evaluations of its line.
 */
export function evaluationReport(
  state: EvaluationsState,
  id: string,
  channels: readonly Channel[],
): EvaluationReport | undefined {
  const doc = getIn(state.evaluations, id);
  if (!doc) return undefined;
  const evaluation = summaryOf(doc);
  const ended = { evaluation, newFailures: [], fixed: [], truncated: false };
  if (doc.info.status === 'failed') return { ...ended, outcome: 'evaluation-failed' };
  if (doc.info.status === 'aborted') return { ...ended, outcome: 'aborted' };
  if (doc.info.status !== 'completed' || !allBuilt(doc.counts)) return undefined;
  const comparedWith = previousCompleted(state, doc, channels);
  const previous = comparedWith === undefined ? undefined : getIn(state.evaluations, comparedWith);
  const newFailures: ReportedJob[] = [];
  const fixed: ReportedJob[] = [];
  let truncated = false;
  for (const position of byName(doc.jobs)) {
    const job = doc.jobs[position]!;
    const drvPath = doc.jobs[position + 1]!;
    const status = drvStatus(state, drvPath);
    const now = outcomeOf(status);
    if (now === 'other') continue;
    const before = previous && drvPathOf(previous.jobs, job);
    const then = before === undefined ? undefined : outcomeOf(drvStatus(state, before));
    const list =
      now === 'failure' && then !== 'failure'
        ? newFailures
        : now === 'success' && then === 'failure'
          ? fixed
          : undefined;
    if (list === undefined) continue;
    if (list.length < maxListedJobs) list.push({ job, drvPath, status });
    else truncated = true;
  }
  const outcome = evaluation.counts.failed + evaluation.counts.cancelled > 0 ? 'failed' : 'succeeded';
  return {
    evaluation,
    outcome,
    ...(comparedWith === undefined ? {} : { comparedWith }),
    newFailures,
    fixed,
    truncated,
  };
}
