/**
 * Folding events into the pipeline's working memory. Only what a process needs to pick up its work
 * after a restart is kept: pending evaluations, the life cycle of every build, the specifications.
 *
 * Written for replay speed: most events are BuildWanted (one per job of every evaluation), so each
 * build is looked up once per event, a record is rebuilt only when something in it changes, and
 * records are made by one function per status rather than by spreading the previous one. Names and
 * lists of specifications are shared between builds (`spec-list.ts`).
 */
import type { FailureReason, Wanter } from '../../domain/build/build.ts';
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import { own } from '../../domain/shared/own.ts';
import { epochMs } from '../../domain/shared/time.ts';
import type { SpecificationEvent } from '../../domain/specification/events.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { factMs } from '../shared/fact-time.ts';
import { interned } from '../shared/interned.ts';
import { getIn, setIn } from '../shared/persistent-map.ts';
import { noSpecs, withSpecs } from './spec-list.ts';
import type { PendingEvaluation, PipelineBuild, PipelineState } from './state.ts';

export type PipelineEvent = SpecificationEvent | EvaluationEvent | BuildEvent;

/**
 * The evaluations with `id` replaced by `evaluation` in its place (or added last), or without it when
 * `evaluation` is undefined. A removal builds the record afresh rather than spreading it and
 * `delete`-ing, which leaves a slow dictionary object; the order of keys is kept, as the coordinator
 * resumes evaluations in it.
 */
function replaceEvaluation(
  evaluations: PipelineState['evaluations'],
  id: string,
  evaluation: PendingEvaluation | undefined,
): PipelineState['evaluations'] {
  if (evaluation !== undefined) return { ...evaluations, [id]: evaluation };
  const next: Record<string, PendingEvaluation> = {};
  for (const key in evaluations) if (key !== id) next[key] = evaluations[key]!;
  return next;
}

function withEvaluation(
  state: PipelineState,
  id: string,
  after: PendingEvaluation | undefined,
): PipelineState {
  const done = after?.status === 'completed' && after.scheduledJobs >= (after.jobCount ?? 0);
  return { ...state, evaluations: replaceEvaluation(state.evaluations, id, done ? undefined : after) };
}

/** Counts the jobs of pending evaluations among new wanters. */
function countWanters(state: PipelineState, wanters: readonly Wanter[]): PipelineState {
  let next = state;
  for (const { evaluation: id } of wanters) {
    const before = next.evaluations[id];
    if (before !== undefined)
      next = withEvaluation(next, id, { ...before, scheduledJobs: before.scheduledJobs + 1 });
  }
  return next;
}

const noDependencies: readonly string[] = Object.freeze([]);

/** A build waiting in the queue: `notBefore` after a requeue with backoff, `failure` kept by a requeue. */
function queued(
  build: PipelineBuild,
  queuedAt: number,
  retries: number,
  notBefore?: number,
  failure?: FailureReason,
): PipelineBuild {
  const { system, priority, dependencies, specs, attempts } = build;
  const status = 'queued';
  const record: PipelineBuild =
    notBefore === undefined
      ? { status, system, priority, dependencies, specs, queuedAt, attempts, retries }
      : { status, system, priority, dependencies, specs, queuedAt, attempts, retries, notBefore };
  return failure === undefined ? record : { ...record, failure };
}

/** A build whose attempt ended (or never began) in `status`, its attempt fields gone. */
function settled(
  build: PipelineBuild,
  status: PipelineBuild['status'],
  failure?: FailureReason,
): PipelineBuild {
  const { system, priority, dependencies, specs, queuedAt, attempts, retries } = build;
  const record: PipelineBuild = {
    status,
    system,
    priority,
    dependencies,
    specs,
    queuedAt,
    attempts,
    retries,
  };
  const kept = failure ?? build.failure;
  return kept === undefined ? record : { ...record, failure: kept };
}

/** The same record with other `priority` and `specs`. */
function wanted(build: PipelineBuild, priority: number, specs: readonly string[]): PipelineBuild {
  const copy: { -readonly [K in keyof PipelineBuild]: PipelineBuild[K] } = { ...build };
  copy.priority = priority;
  copy.specs = specs;
  return copy;
}

/** The build dispatched to `worker` as attempt number `attempts`. */
function dispatched(
  build: PipelineBuild,
  attemptId: string,
  worker: string,
  attempts: number,
): PipelineBuild {
  const { system, priority, dependencies, specs, queuedAt, retries, failure } = build;
  const status = 'dispatched';
  const record: PipelineBuild = {
    status,
    system,
    priority,
    dependencies,
    specs,
    queuedAt,
    attempts,
    retries,
    attemptId,
    worker,
  };
  return failure === undefined ? record : { ...record, failure };
}

/** The record after `event`, or `build` itself when the event changes nothing in it. */
function nextBuild(build: PipelineBuild, projected: ProjectedEvent<BuildEvent>): PipelineBuild {
  const { event } = projected;
  switch (event.type) {
    case 'BuildWanted': {
      const priority = Math.max(build.priority, event.data.priority);
      const specs = withSpecs(build.specs, event.data.wantedBy);
      return priority === build.priority && specs === build.specs ? build : wanted(build, priority, specs);
    }
    case 'BuildSubstituted':
      return settled(build, 'substituted');
    case 'BuildDispatched': {
      const { worker, attemptId, attempt } = event.data;
      return dispatched(build, attemptId, interned(worker), attempt);
    }
    case 'BuildStarted':
      return build.attemptId === event.data.attemptId ? { ...build, status: 'building' } : build;
    case 'BuildSucceeded':
      return settled(build, 'succeeded');
    case 'BuildFailed':
      return settled(build, 'failed', event.data.reason);
    case 'BuildCancelled':
      return settled(build, 'cancelled');
    case 'BuildRestarted':
      return queued(build, factMs(projected), 0);
    case 'BuildRequeued': {
      const retries = event.data.why === 'coordinator-restart' ? build.retries : build.retries + 1;
      return queued(build, build.queuedAt, retries, epochMs(event.data.notBefore), build.failure);
    }
    case 'BuildQueued':
    case 'BuildLogStored':
    case 'BuildResultIgnored':
      return build;
  }
}

function evolveBuild(state: PipelineState, projected: ProjectedEvent<BuildEvent>): PipelineState {
  const { event } = projected;
  const { drvPath } = event.data;
  if (event.type === 'BuildQueued') {
    const { system, priority, dependencies, wantedBy } = event.data;
    const build: PipelineBuild = {
      status: 'queued',
      system: interned(system),
      priority,
      dependencies: dependencies.length === 0 ? noDependencies : dependencies,
      specs: withSpecs(noSpecs, wantedBy),
      queuedAt: factMs(projected),
      attempts: 0,
      retries: 0,
    };
    return countWanters({ ...state, builds: setIn(state.builds, drvPath, build) }, wantedBy);
  }
  const before = getIn(state.builds, drvPath);
  const after = before === undefined ? before : nextBuild(before, projected);
  const next = after === before ? state : { ...state, builds: setIn(state.builds, drvPath, after!) };
  // Jobs count for their evaluation even when the build is unknown here.
  return event.type === 'BuildWanted' ? countWanters(next, event.data.wantedBy) : next;
}

function evolveEvaluation(state: PipelineState, event: EvaluationEvent): PipelineState {
  switch (event.type) {
    case 'EvaluationRequested': {
      const { evaluationId, spec, checkouts } = event.data;
      if (state.evaluations[evaluationId]) return state;
      const pending: PendingEvaluation = { spec, checkouts, status: 'requested', scheduledJobs: 0 };
      return { ...state, evaluations: replaceEvaluation(state.evaluations, evaluationId, pending) };
    }
    case 'EvaluationStarted': {
      const before = state.evaluations[event.data.evaluationId];
      return before
        ? withEvaluation(state, event.data.evaluationId, { ...before, status: 'started' })
        : state;
    }
    case 'EvaluationJobsAdded':
      return state;
    case 'EvaluationCompleted': {
      const { evaluationId, jobCount } = event.data;
      const before = state.evaluations[evaluationId];
      return before
        ? withEvaluation(state, evaluationId, { ...before, status: 'completed', jobCount })
        : state;
    }
    case 'EvaluationFailed':
    case 'EvaluationAborted':
      return state.evaluations[event.data.evaluationId]
        ? withEvaluation(state, event.data.evaluationId, undefined)
        : state;
    case 'EvaluationBuildsReused':
      // Folded as the builds' wants (`foldingReusedBuilds`, in index.ts).
      return state;
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
      const spec = own(specs, event.data.name);
      if (!spec) return state;
      specs[event.data.name] = { ...spec, active: event.type === 'SpecificationActivated' };
      break;
    }
    case 'SpecificationRemoved': {
      delete specs[event.data.name];
      // Its unfinished evaluations go with it: a name registered again is a new specification, which
      // must not take up the old one's work when it is activated.
      const evaluations: Record<string, PendingEvaluation> = {};
      for (const id in state.evaluations)
        if (state.evaluations[id]!.spec !== event.data.name) evaluations[id] = state.evaluations[id]!;
      return { ...state, specs, evaluations };
    }
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
