/**
 * Folding evaluation and build events into evaluations. A chunk of jobs costs O(jobs); a build's
 * change of status costs O(jobs that want the derivation), through the derivation's list of wanters.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import { durationMs } from '../../domain/shared/time.ts';
import { unreachable } from '../../domain/shared/unreachable.ts';
import { factTime } from '../builds/fact-time.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { editMap, getIn, setIn } from '../shared/persistent-map.ts';
import {
  type DrvDoc,
  type EvaluationDoc,
  type EvaluationsState,
  type JobBuildStatus,
  noJobs,
} from './state.ts';

export function evolveEvaluations(
  state: EvaluationsState,
  projected: ProjectedEvent<EvaluationEvent | BuildEvent>,
): EvaluationsState {
  const { event } = projected;
  const at = factTime(projected);
  switch (event.type) {
    case 'EvaluationRequested': {
      const { evaluationId: id, spec, trigger, checkouts } = event.data;
      if (getIn(state.evaluations, id)) return state;
      const doc: EvaluationDoc = {
        id,
        spec,
        status: 'requested',
        trigger,
        checkouts,
        requestedAt: at,
        jobCount: 0,
        counts: noJobs,
        jobs: {},
      };
      return {
        ...state,
        evaluations: setIn(state.evaluations, id, doc),
        bySpec: { ...state.bySpec, [spec]: [...(state.bySpec[spec] ?? []), id] },
      };
    }
    case 'EvaluationStarted':
      return changeEvaluation(state, event.data.evaluationId, (doc) => ({
        ...doc,
        status: 'started',
        startedAt: event.data.startedAt,
      }));
    case 'EvaluationJobsAdded':
      return addJobs(state, event.data.evaluationId, event.data.jobs);
    case 'EvaluationCompleted':
      return changeEvaluation(state, event.data.evaluationId, (doc) => ({
        ...doc,
        status: 'completed',
        finishedAt: at,
        durationMs: event.data.durationMs,
      }));
    case 'EvaluationFailed': {
      const { reason, logRef, message } = event.data;
      const end = { kind: 'failed' as const, reason, logRef, ...(message === undefined ? {} : { message }) };
      return changeEvaluation(state, event.data.evaluationId, (doc) => ({
        ...ended(doc, at),
        status: 'failed',
        end,
      }));
    }
    case 'EvaluationAborted': {
      const { by, why } = event.data;
      return changeEvaluation(state, event.data.evaluationId, (doc) => ({
        ...ended(doc, at),
        status: 'aborted',
        end: { kind: 'aborted', by, why },
      }));
    }
    default:
      return evolveBuildStatus(state, event);
  }
}

function ended(doc: EvaluationDoc, at: string): EvaluationDoc {
  return { ...doc, finishedAt: at, ...(doc.startedAt ? { durationMs: durationMs(doc.startedAt, at) } : {}) };
}

function changeEvaluation(
  state: EvaluationsState,
  id: string,
  change: (doc: EvaluationDoc) => EvaluationDoc,
): EvaluationsState {
  const doc = getIn(state.evaluations, id);
  if (!doc) return state;
  return { ...state, evaluations: setIn(state.evaluations, id, change(doc)) };
}

function addJobs(
  state: EvaluationsState,
  id: string,
  jobs: readonly { readonly name: string; readonly drvPath: string }[],
): EvaluationsState {
  const doc = getIn(state.evaluations, id);
  if (!doc) return state;
  const names: Record<string, string> = { ...doc.jobs };
  const counts = { ...doc.counts };
  let jobCount = doc.jobCount;
  const drvs = editMap(state.drvs, (editor) => {
    for (const { name, drvPath } of jobs) {
      if (Object.hasOwn(names, name)) continue; // a chunk delivered twice adds nothing
      const known = editor.get(drvPath);
      const drv: DrvDoc = { status: known?.status ?? 'queued', wanters: [...(known?.wanters ?? []), id] };
      editor.set(drvPath, drv);
      names[name] = drvPath;
      counts[drv.status] += 1;
      jobCount += 1;
    }
  });
  const next: EvaluationDoc = { ...doc, jobs: names, counts, jobCount };
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
  const drvs = setIn(state.drvs, drvPath, { status, wanters: drv?.wanters ?? [] });
  if (!drv || drv.wanters.length === 0) return { ...state, drvs };
  const before = drv.status;
  const evaluations = editMap(state.evaluations, (editor) => {
    for (const id of drv.wanters) {
      const doc = editor.get(id);
      if (!doc) continue;
      const counts = { ...doc.counts, [before]: doc.counts[before] - 1 };
      counts[status] += 1;
      editor.set(id, { ...doc, counts });
    }
  });
  return { ...state, drvs, evaluations };
}
