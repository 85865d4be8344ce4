/**
 * The coordinator: the farm's processes behind one event feed. It waits until the projections have
 * caught up with the store, picks up whatever work the pipeline state says is unfinished (evaluations
 * to run or to schedule, builds to queue or to requeue), then reacts to every live event: a requested
 * evaluation is run, a completed one scheduled, an activated specification's waiting evaluations are
 * taken up, build events drive the dispatcher, and a worker resumed or registered anew wakes it.
 */
import type { Logger } from 'pino';
import type { BuildEvent } from '../../domain/build/events.ts';
import { evaluationDecider } from '../../domain/evaluation/index.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { Cause } from '../../domain/shared/metadata.ts';
import { own } from '../../domain/shared/own.ts';
import { streams } from '../../domain/shared/streams.ts';
import type { PendingEvaluation, PipelineState } from '../../projections/pipeline/index.ts';
import type { ProjectedEvent } from '../../projections/runtime/projection.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import { getIn, hasIn } from '../../projections/shared/persistent-map.ts';
import type { EventStore } from '../eventstore/event-store.ts';
import { projectionsCaughtUp } from './caught-up.ts';
import type { Dispatcher } from './dispatcher/dispatcher.ts';
import { issue, processCause } from './issue.ts';
import { scheduleEvaluation } from './scheduler/schedule-evaluation.ts';
import type { SubstituteFinder } from './scheduler/substitutes.ts';

/** What the coordinator needs of the evaluation runner. */
export interface EvaluationQueue {
  enqueue(request: {
    readonly evaluationId: string;
    readonly spec: import('../../domain/specification/specification.ts').Specification;
    readonly checkouts: PendingEvaluation['checkouts'];
    readonly started: boolean;
  }): void;
  /** Stops an evaluation that was aborted, queued or running. */
  cancel(evaluationId: string): void;
}

export interface CoordinatorOptions {
  readonly events: EventStore;
  readonly projections: ProjectionRunner<TallyEvent>;
  readonly evaluations: EvaluationQueue;
  readonly dispatcher: Dispatcher;
  readonly substitutes: SubstituteFinder;
  readonly logger: Logger;
}

export interface Coordinator {
  /** Resumes unfinished work and starts reacting; resolves once resumed. */
  start(): Promise<void>;
  /** Stops reacting and waits for schedules in progress. */
  stop(): Promise<void>;
  /** Resolves when every schedule started so far has finished (tests, benchmarks). */
  idle(): Promise<void>;
}

export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const { events, projections, logger } = options;
  const state = () => projections.state<PipelineState>('pipeline');
  const scheduling = new Map<string, Promise<void>>();
  /** Evaluations handed to the evaluation queue and not ended yet, with their specification's name. */
  const underway = new Map<string, string>();
  let detach: (() => void) | undefined;
  let stopped = false;

  function runEvaluation(evaluationId: string, pending: PendingEvaluation): void {
    const spec = own(state().specs, pending.spec);
    if (!spec?.active) return;
    underway.set(evaluationId, pending.spec);
    options.evaluations.enqueue({
      evaluationId,
      spec,
      checkouts: pending.checkouts,
      started: pending.status === 'started',
    });
  }

  /** The evaluations of `spec` under way, no longer counted as such. */
  function takeUnderway(spec: string): string[] {
    const taken = [...underway].filter(([, of]) => of === spec).map(([evaluationId]) => evaluationId);
    for (const evaluationId of taken) underway.delete(evaluationId);
    return taken;
  }

  /**
   * Records the evaluations of a specification that was removed aborted, which stops them: their jobs
   * would be of no specification, and the read models have already let them go.
   */
  function abandonEvaluationsOf(spec: string, cause: Cause): void {
    for (const evaluationId of takeUnderway(spec)) {
      // Stopped when its EvaluationAborted comes back, as for an abort asked through the API.
      const command = {
        type: 'AbortEvaluation',
        evaluationId,
        why: `its specification ${spec} was removed`,
        actor: 'scheduler',
        at: new Date().toISOString(),
      } as const;
      void issue(events, evaluationDecider, streams.evaluation(evaluationId), command, cause, 'scheduler')
        .then((issued) => {
          if (issued.ok) logger.info({ evaluationId, spec }, 'evaluation of a removed specification aborted');
        })
        .catch((error) =>
          logger.error({ err: error, evaluationId }, 'could not record the evaluation aborted'),
        );
    }
  }

  /**
   * Schedules on projections that include everything the store held when it began: whether the
   * evaluation was scheduled before (some of its jobs recorded as wanters) and which builds are
   * cancelled are then read as they stand.
   */
  async function scheduleWhenCaughtUp(
    evaluationId: string,
    spec: Parameters<typeof scheduleEvaluation>[2],
    cause: Cause,
  ) {
    await projectionsCaughtUp(events, projections);
    const context = {
      events,
      substitutes: options.substitutes,
      known: (drvPath: string) => hasIn(state().builds, drvPath),
      cancelled: (drvPath: string) => getIn(state().builds, drvPath)?.status === 'cancelled',
      produced: (drvPath: string) => {
        const status = getIn(state().builds, drvPath)?.status;
        return status === 'succeeded' || status === 'substituted';
      },
      ended: (drvPath: string) => {
        const status = getIn(state().builds, drvPath)?.status;
        return status === 'succeeded' || status === 'substituted' || status === 'failed';
      },
      firstScheduling: (state().evaluations[evaluationId]?.scheduledJobs ?? 0) === 0,
    };
    return scheduleEvaluation(context, evaluationId, spec, cause);
  }

  function schedule(evaluationId: string, specName: string, cause: Cause): void {
    if (scheduling.has(evaluationId) || stopped) return;
    const spec = own(state().specs, specName);
    if (!spec?.active) return;
    const started = Date.now();
    const run = scheduleWhenCaughtUp(evaluationId, spec, cause)
      .then((result) => {
        const { collected, tooLarge } = result;
        const counts = { ...result, collected: collected.length, tooLarge: tooLarge.length };
        logger.info({ evaluationId, ...counts, ms: Date.now() - started }, 'evaluation scheduled');
        if (collected.length > 0)
          logger.info(
            { evaluationId, drvPaths: collected.slice(0, 20), count: collected.length },
            'builds restarted: the collector had removed their outputs, and the evaluation wants them again',
          );
        if (result.tooLarge.length > 0)
          logger.error(
            { evaluationId, drvPaths: result.tooLarge },
            "derivations with too many inputs to record in one event (the event store's 1 MiB an append): recorded without their dependencies and failed unless a cache had them; see each build's failure for what to do",
          );
      })
      .catch((error) => {
        logger.error({ err: error, evaluationId }, 'scheduling an evaluation failed; trying again in 2 s');
        return new Promise<void>((resolve) => setTimeout(resolve, 2000)).then(() => {
          scheduling.delete(evaluationId);
          // Scheduling is idempotent: builds already queued gain nothing the second time.
          if (!stopped && state().evaluations[evaluationId]) schedule(evaluationId, specName, cause);
        });
      })
      .finally(() => {
        if (scheduling.get(evaluationId) === run) scheduling.delete(evaluationId);
      });
    scheduling.set(evaluationId, run);
  }

  /**
   * Takes up an evaluation nobody is working on: schedules a completed one's builds, runs any other.
   * An inactive spec's evaluations wait (`runEvaluation` and `schedule` pass over them) until it is
   * activated again.
   */
  function takeUp(evaluationId: string, pending: PendingEvaluation, cause: Cause): void {
    if (pending.status === 'completed') schedule(evaluationId, pending.spec, cause);
    else runEvaluation(evaluationId, pending);
  }

  function react(projected: ProjectedEvent<TallyEvent>): void {
    if (stopped) return;
    const { event } = projected;
    const cause: Cause = projected.id
      ? {
          kind: 'event',
          id: projected.id,
          correlationId: String(projected.metadata.correlationId ?? projected.id),
        }
      : processCause(`${projected.streamId}@${projected.revision}`);
    if (event.type === 'EvaluationRequested') {
      const pending = state().evaluations[event.data.evaluationId];
      if (pending) runEvaluation(event.data.evaluationId, pending);
    } else if (event.type === 'EvaluationAborted') {
      underway.delete(event.data.evaluationId);
      options.evaluations.cancel(event.data.evaluationId);
    } else if (event.type === 'EvaluationFailed') {
      underway.delete(event.data.evaluationId);
    } else if (event.type === 'EvaluationCompleted') {
      underway.delete(event.data.evaluationId);
      const pending = state().evaluations[event.data.evaluationId];
      if (pending) schedule(event.data.evaluationId, pending.spec, cause);
    } else if (event.type.startsWith('Build')) {
      options.dispatcher.onBuildEvent(projected as ProjectedEvent<BuildEvent>);
    } else if (event.type === 'SpecificationActivated') {
      // What waited while the spec was off: requested before it was deactivated, or completed since.
      for (const [evaluationId, pending] of Object.entries(state().evaluations))
        if (pending.spec === event.data.name) takeUp(evaluationId, pending, cause);
    } else if (event.type === 'SpecificationRemoved') {
      abandonEvaluationsOf(event.data.name, cause);
    } else if (event.type === 'SpecificationDeactivated') {
      // Neither polled nor evaluated while off: its evaluations stop where they are, recorded as they
      // stand, and are taken up again when it is activated.
      for (const evaluationId of takeUnderway(event.data.name)) options.evaluations.cancel(evaluationId);
    } else if (event.type === 'WorkerResumed' || event.type === 'WorkerRegistered') {
      // The worker may take work again (resumed, or registered anew after it was removed).
      options.dispatcher.wake();
    }
  }

  return {
    async start() {
      await projectionsCaughtUp(events, projections);
      detach = projections.onApplied(react);
      await options.dispatcher.resume();
      for (const [evaluationId, pending] of Object.entries(state().evaluations))
        takeUp(evaluationId, pending, processCause(`resume:${evaluationId}`));
      logger.info({ evaluations: Object.keys(state().evaluations).length }, 'coordinator resumed');
    },
    async stop() {
      stopped = true;
      detach?.();
      await Promise.allSettled(scheduling.values());
    },
    async idle() {
      while (scheduling.size > 0) await Promise.allSettled(scheduling.values());
      await options.dispatcher.settled();
    },
  };
}
