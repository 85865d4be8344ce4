/**
 * Folding events into the pipeline's working memory. Only what a process needs to pick up its work
 * after a restart is kept: pending evaluations, the life cycle of every build, the specifications.
 */
import type { Wanter } from '../../domain/build/build.ts';
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import { epochMs } from '../../domain/shared/time.ts';
import type { SpecificationEvent } from '../../domain/specification/events.ts';
import { factTime } from '../queue/fact-time.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { getIn, setIn } from '../shared/persistent-map.ts';
import type { PendingEvaluation, PipelineBuild, PipelineState } from './state.ts';

export type PipelineEvent = SpecificationEvent | EvaluationEvent | BuildEvent;

function withEvaluation(
  state: PipelineState,
  id: string,
  change: (evaluation: PendingEvaluation) => PendingEvaluation | undefined,
): PipelineState {
  const before = state.evaluations[id];
  if (!before) return state;
  const after = change(before);
  const evaluations = { ...state.evaluations };
  const done = after?.status === 'completed' && after.scheduledJobs >= (after.jobCount ?? 0);
  if (after === undefined || done) delete evaluations[id];
  else evaluations[id] = after;
  return { ...state, evaluations };
}

/** Counts the jobs of pending evaluations among new wanters. */
function countWanters(state: PipelineState, wanters: readonly Wanter[]): PipelineState {
  let next = state;
  for (const wanter of wanters) {
    next = withEvaluation(next, wanter.evaluation, (evaluation) => ({
      ...evaluation,
      scheduledJobs: evaluation.scheduledJobs + 1,
    }));
  }
  return next;
}

function withBuild(
  state: PipelineState,
  drvPath: string,
  change: (build: PipelineBuild) => PipelineBuild,
): PipelineState {
  const before = getIn(state.builds, drvPath);
  if (!before) return state;
  return { ...state, builds: setIn(state.builds, drvPath, change(before)) };
}

function union(specs: readonly string[], wanters: readonly Wanter[]): readonly string[] {
  const fresh = wanters.map((wanter) => wanter.spec).filter((spec, i, all) => all.indexOf(spec) === i);
  const added = fresh.filter((spec) => !specs.includes(spec));
  return added.length === 0 ? specs : [...specs, ...added];
}

/** The build with its attempt fields gone (they belong to an attempt that ended). */
function settled(build: PipelineBuild, status: PipelineBuild['status']): PipelineBuild {
  const { attemptId: _attempt, worker: _worker, notBefore: _notBefore, ...rest } = build;
  return { ...rest, status };
}

function evolveBuild(state: PipelineState, projected: ProjectedEvent<BuildEvent>): PipelineState {
  const { event } = projected;
  const { drvPath } = event.data;
  switch (event.type) {
    case 'BuildQueued': {
      const { system, priority, dependencies, wantedBy } = event.data;
      const build: PipelineBuild = {
        status: 'queued',
        system,
        priority,
        dependencies,
        specs: union([], wantedBy),
        queuedAt: factTime(projected),
        attempts: 0,
        retries: 0,
      };
      return countWanters({ ...state, builds: setIn(state.builds, drvPath, build) }, wantedBy);
    }
    case 'BuildWanted': {
      const { wantedBy, priority } = event.data;
      const next = withBuild(state, drvPath, (build) => ({
        ...build,
        priority: Math.max(build.priority, priority),
        specs: union(build.specs, wantedBy),
      }));
      return countWanters(next, wantedBy);
    }
    case 'BuildSubstituted':
      return withBuild(state, drvPath, (build) => settled(build, 'substituted'));
    case 'BuildDispatched':
      return withBuild(state, drvPath, (build) => {
        const { notBefore: _notBefore, ...rest } = build;
        const { worker, attemptId, attempt } = event.data;
        return { ...rest, status: 'dispatched', worker, attemptId, attempts: attempt };
      });
    case 'BuildStarted':
      return withBuild(state, drvPath, (build) =>
        build.attemptId === event.data.attemptId ? { ...build, status: 'building' } : build,
      );
    case 'BuildSucceeded':
      return withBuild(state, drvPath, (build) => settled(build, 'succeeded'));
    case 'BuildFailed':
      return withBuild(state, drvPath, (build) => ({
        ...settled(build, 'failed'),
        failure: event.data.reason,
      }));
    case 'BuildCancelled':
      return withBuild(state, drvPath, (build) => settled(build, 'cancelled'));
    case 'BuildRestarted':
      return withBuild(state, drvPath, (build) => {
        const { failure: _failure, ...rest } = settled(build, 'queued');
        return { ...rest, queuedAt: factTime(projected), retries: 0 };
      });
    case 'BuildRequeued':
      return withBuild(state, drvPath, (build) => ({
        ...settled(build, 'queued'),
        notBefore: epochMs(event.data.notBefore),
        retries: event.data.why === 'coordinator-restart' ? build.retries : build.retries + 1,
      }));
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return state;
  }
}

function evolveEvaluation(state: PipelineState, event: EvaluationEvent): PipelineState {
  switch (event.type) {
    case 'EvaluationRequested': {
      const { evaluationId, spec, checkouts } = event.data;
      if (state.evaluations[evaluationId]) return state;
      const pending: PendingEvaluation = { spec, checkouts, status: 'requested', scheduledJobs: 0 };
      return { ...state, evaluations: { ...state.evaluations, [evaluationId]: pending } };
    }
    case 'EvaluationStarted':
      return withEvaluation(state, event.data.evaluationId, (e) => ({ ...e, status: 'started' }));
    case 'EvaluationJobsAdded':
      return state;
    case 'EvaluationCompleted':
      return withEvaluation(state, event.data.evaluationId, (e) => ({
        ...e,
        status: 'completed',
        jobCount: event.data.jobCount,
      }));
    case 'EvaluationFailed':
    case 'EvaluationAborted':
      return withEvaluation(state, event.data.evaluationId, () => undefined);
  }
}

function evolveSpecification(state: PipelineState, event: SpecificationEvent): PipelineState {
  const specs = { ...state.specs };
  switch (event.type) {
    case 'SpecificationRegistered':
    case 'SpecificationUpdated':
      specs[event.data.spec.name] = event.data.spec;
      break;
    case 'SpecificationActivated':
    case 'SpecificationDeactivated': {
      const spec = specs[event.data.name];
      if (!spec) return state;
      specs[event.data.name] = { ...spec, active: event.type === 'SpecificationActivated' };
      break;
    }
    case 'SpecificationRemoved':
      delete specs[event.data.name];
      break;
  }
  return { ...state, specs };
}

export function evolvePipeline(
  state: PipelineState,
  projected: ProjectedEvent<PipelineEvent>,
): PipelineState {
  const { event } = projected;
  if (event.type.startsWith('Build')) return evolveBuild(state, projected as ProjectedEvent<BuildEvent>);
  if (event.type.startsWith('Evaluation')) return evolveEvaluation(state, event as EvaluationEvent);
  return evolveSpecification(state, event as SpecificationEvent);
}
