/**
 * Folding evaluation and build events into evaluations. A chunk of jobs costs O(jobs); a build's
 * change of status costs O(jobs that want the derivation), through the derivation's list of wanters.
 * Many writes of one event go through `setIn` one after the other: the runtime folds with the maps
 * written in place (`writingInPlace`), so a batch editor would only add its bookkeeping.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import { own } from '../../domain/shared/own.ts';
import { epochMs, type IsoTime } from '../../domain/shared/time.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import type { SpecificationRemoved } from '../../domain/specification/events.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { appended } from '../shared/exact-arrays.ts';
import { factText } from '../shared/fact-time.ts';
import { interned } from '../shared/interned.ts';
import { getIn, setIn } from '../shared/persistent-map.ts';
import { msOf, storedTime } from '../shared/stored-time.ts';
import { jobNames, noJobList } from './job-list.ts';
import {
  type DrvDoc,
  type EvaluationDoc,
  type EvaluationInfo,
  type EvaluationsState,
  type JobBuildStatus,
  noJobs,
} from './state.ts';

export function evolveEvaluations(
  state: EvaluationsState,
  projected: ProjectedEvent<EvaluationEvent | BuildEvent | SpecificationRemoved>,
): EvaluationsState {
  const { event } = projected;
  switch (event.type) {
    case 'SpecificationRemoved': {
      // A name registered again is a new specification: the list starts afresh. The old evaluations
      // stay, each under its own id.
      if (!own(state.bySpec, event.data.name)) return state;
      const { [event.data.name]: _removed, ...bySpec } = state.bySpec;
      return { ...state, bySpec };
    }
    case 'EvaluationRequested': {
      const { evaluationId: id, spec, trigger, checkouts } = event.data;
      if (getIn(state.evaluations, id)) return state;
      const info: EvaluationInfo = {
        id,
        spec,
        status: 'requested',
        trigger,
        checkouts,
        requestedAt: storedTime(factText(projected)),
        jobCount: 0,
      };
      const doc: EvaluationDoc = { info, counts: noJobs, jobs: noJobList };
      return {
        ...state,
        evaluations: setIn(state.evaluations, id, doc),
        bySpec: { ...state.bySpec, [spec]: [...(own(state.bySpec, spec) ?? []), id] },
      };
    }
    case 'EvaluationStarted':
      return changeEvaluation(state, event.data.evaluationId, (info) => ({
        ...info,
        status: 'started',
        startedAt: storedTime(event.data.startedAt),
      }));
    case 'EvaluationJobsAdded':
      return addJobs(state, event.data.evaluationId, event.data.jobs);
    case 'EvaluationCompleted':
      return changeEvaluation(state, event.data.evaluationId, (info) => ({
        ...info,
        status: 'completed',
        finishedAt: storedTime(factText(projected)),
        durationMs: event.data.durationMs,
      }));
    case 'EvaluationFailed': {
      const { reason, logRef, message } = event.data;
      const end = { kind: 'failed' as const, reason, logRef, ...(message === undefined ? {} : { message }) };
      return changeEvaluation(state, event.data.evaluationId, (info) => ({
        ...ended(info, factText(projected)),
        status: 'failed',
        end,
      }));
    }
    case 'EvaluationAborted': {
      const { by, why } = event.data;
      return changeEvaluation(state, event.data.evaluationId, (info) => ({
        ...ended(info, factText(projected)),
        status: 'aborted',
        end: { kind: 'aborted', by, why },
      }));
    }
    case 'EvaluationBuildsReused':
      // Jobs read their build's status by derivation: which builds want a job changes nothing here.
      return state;
    default:
      return evolveBuildStatus(state, event);
  }
}

function ended(info: EvaluationInfo, at: IsoTime): EvaluationInfo {
  const finishedAt = storedTime(at);
  if (info.startedAt === undefined) return { ...info, finishedAt };
  return { ...info, finishedAt, durationMs: Math.max(0, epochMs(at) - msOf(info.startedAt)) };
}

function changeEvaluation(
  state: EvaluationsState,
  id: string,
  change: (info: EvaluationInfo) => EvaluationInfo,
): EvaluationsState {
  const doc = getIn(state.evaluations, id);
  if (!doc) return state;
  const next: EvaluationDoc = { info: change(doc.info), counts: doc.counts, jobs: doc.jobs };
  return { ...state, evaluations: setIn(state.evaluations, id, next) };
}

function addJobs(
  state: EvaluationsState,
  id: string,
  jobs: readonly { readonly name: string; readonly drvPath: string }[],
): EvaluationsState {
  const doc = getIn(state.evaluations, id);
  if (!doc) return state;
  // A chunk delivered twice, or a name given twice, adds nothing.
  const seen = doc.jobs.length === 0 ? new Set<string>() : jobNames(doc.jobs);
  // Arrays grown by `push` keep spare room; `concat` makes one exactly as long as needed.
  const added: string[] = [];
  const counts = { ...doc.counts };
  const wanter = doc.info.id;
  let drvs = state.drvs;
  for (const { name, drvPath } of jobs) {
    if (seen.has(name)) continue;
    seen.add(name);
    const known = getIn(drvs, drvPath);
    const drv: DrvDoc = known
      ? { status: known.status, path: known.path, wanters: appended(known.wanters, wanter) }
      : { status: 'unscheduled', path: drvPath, wanters: [wanter] };
    drvs = setIn(drvs, drvPath, drv);
    added.push(interned(name), drv.path);
    counts[drv.status] += 1;
  }
  if (added.length === 0) return state;
  const info: EvaluationInfo = { ...doc.info, jobCount: doc.info.jobCount + added.length / 2 };
  const next: EvaluationDoc = { info, counts, jobs: doc.jobs.concat(added) };
  return { ...state, drvs, evaluations: setIn(state.evaluations, id, next) };
}

/** The status a build event gives its derivation, or `undefined` when it changes none (shared with jobsets). */
export function buildStatusAfter(
  event: BuildEvent,
  before: JobBuildStatus | undefined,
): JobBuildStatus | undefined {
  switch (event.type) {
    case 'BuildQueued':
    case 'BuildRestarted':
    case 'BuildRequeued':
      return 'queued';
    case 'BuildSubstituted':
      return 'substituted';
    case 'BuildDispatched':
      return 'dispatched';
    case 'BuildStarted':
      return before === 'dispatched' ? 'building' : undefined;
    case 'BuildSucceeded':
      return 'succeeded';
    case 'BuildFailed':
      return 'failed';
    case 'BuildCancelled':
      return 'cancelled';
    case 'BuildWanted':
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return undefined;
    default:
      return unreachable(event);
  }
}

function evolveBuildStatus(state: EvaluationsState, event: BuildEvent): EvaluationsState {
  const { drvPath } = event.data;
  const drv = getIn(state.drvs, drvPath);
  const status = buildStatusAfter(event, drv?.status);
  if (status === undefined || status === drv?.status) return state;
  if (!drv) return { ...state, drvs: setIn(state.drvs, drvPath, { status, path: drvPath, wanters: [] }) };
  const drvs = setIn(state.drvs, drvPath, { status, path: drv.path, wanters: drv.wanters });
  if (drv.wanters.length === 0) return { ...state, drvs };
  const before = drv.status;
  let evaluations = state.evaluations;
  for (const id of drv.wanters) {
    const doc = getIn(evaluations, id);
    if (!doc) continue;
    const counts = { ...doc.counts };
    counts[before] -= 1;
    counts[status] += 1;
    evaluations = setIn(evaluations, id, { info: doc.info, counts, jobs: doc.jobs });
  }
  return { ...state, drvs, evaluations };
}
