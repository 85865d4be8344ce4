/**
 * Comparing two evaluations job by job (Hydra's "compare evaluations"): of two specifications, or of
 * two branches of one. A pure query over the evaluations read model; jobs are matched by name.
 */
import { DomainError } from '../../domain/shared/errors.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import { byName } from '../evaluations/job-list.ts';
import { drvStatus, summaryOf } from '../evaluations/queries.ts';
import type { EvaluationSummary, EvaluationsState, JobBuildStatus } from '../evaluations/state.ts';
import { getIn } from '../shared/persistent-map.ts';

/** Where a job lands when `to` is compared with `from`. */
export type DiffCategory =
  /** Fails in `to`, did not fail in `from` (succeeded or was unfinished). */
  | 'newly-failing'
  /** Succeeds in `to`, did not succeed in `from`. */
  | 'newly-succeeding'
  | 'still-failing'
  | 'still-succeeding'
  /** Its build in `to` is not finished: nothing to say yet. */
  | 'unfinished'
  /** Only in `to`. */
  | 'added'
  /** Only in `from`. */
  | 'removed';

export const diffCategories: readonly DiffCategory[] = [
  'newly-failing',
  'newly-succeeding',
  'still-failing',
  'still-succeeding',
  'unfinished',
  'added',
  'removed',
];

/** One side of a job in the comparison. */
export interface DiffSide {
  readonly drvPath: string;
  readonly status: JobBuildStatus;
}

export interface DiffEntry {
  readonly job: string;
  readonly from?: DiffSide;
  readonly to?: DiffSide;
}

export interface EvaluationDiff {
  readonly from: EvaluationSummary;
  readonly to: EvaluationSummary;
  /** Jobs of each category, by name. */
  readonly jobs: Readonly<Record<DiffCategory, readonly DiffEntry[]>>;
}

export type DiffResult =
  | { readonly ok: true; readonly diff: EvaluationDiff }
  | { readonly ok: false; readonly error: DomainError };

/** A finished build's outcome, or `pending`. */
export type Outcome = 'success' | 'failure' | 'pending';

export function outcomeOf(status: JobBuildStatus): Outcome {
  switch (status) {
    case 'succeeded':
    case 'substituted':
      return 'success';
    case 'failed':
    case 'cancelled':
      return 'failure';
    case 'unscheduled':
    case 'queued':
    case 'dispatched':
    case 'building':
      return 'pending';
    default:
      return unreachable(status);
  }
}

function categoryOf(from: DiffSide, to: DiffSide): DiffCategory {
  const before = outcomeOf(from.status);
  const after = outcomeOf(to.status);
  switch (after) {
    case 'success':
      return before === 'success' ? 'still-succeeding' : 'newly-succeeding';
    case 'failure':
      return before === 'failure' ? 'still-failing' : 'newly-failing';
    case 'pending':
      return 'unfinished';
    default:
      return unreachable(after);
  }
}

/** Compares the jobs of evaluation `to` with those of `from`; `TALLY_EVALUATION_NOT_FOUND` when either is unknown. */
export function diffEvaluations(state: EvaluationsState, from: string, to: string): DiffResult {
  const before = getIn(state.evaluations, from);
  const after = getIn(state.evaluations, to);
  const missing = before ? (after ? undefined : to) : from;
  if (!before || !after) {
    return { ok: false, error: new DomainError('TALLY_EVALUATION_NOT_FOUND', `no evaluation ${missing}`) };
  }
  const jobs = Object.fromEntries(diffCategories.map((category) => [category, [] as DiffEntry[]])) as Record<
    DiffCategory,
    DiffEntry[]
  >;
  const side = (drvPath: string): DiffSide => ({ drvPath, status: drvStatus(state, drvPath) });
  // Both lists in name order, walked side by side: every name once, in the order `sort()` gives.
  const fromJobs = before.jobs;
  const toJobs = after.jobs;
  const fromOrder = byName(fromJobs);
  const toOrder = byName(toJobs);
  let i = 0;
  let k = 0;
  while (i < fromOrder.length || k < toOrder.length) {
    const f = fromOrder[i];
    const t = toOrder[k];
    const fromName = f === undefined ? undefined : fromJobs[f]!;
    const toName = t === undefined ? undefined : toJobs[t]!;
    if (toName === undefined || (fromName !== undefined && fromName < toName)) {
      jobs.removed.push({ job: fromName!, from: side(fromJobs[f! + 1]!) });
      i++;
    } else if (fromName === undefined || toName < fromName) {
      jobs.added.push({ job: toName, to: side(toJobs[t! + 1]!) });
      k++;
    } else {
      const entry = { job: toName, from: side(fromJobs[f! + 1]!), to: side(toJobs[t! + 1]!) };
      jobs[categoryOf(entry.from, entry.to)].push(entry);
      i++;
      k++;
    }
  }
  const fromSummary = summaryOf(before);
  const toSummary = summaryOf(after);
  return { ok: true, diff: { from: fromSummary, to: toSummary, jobs } };
}
