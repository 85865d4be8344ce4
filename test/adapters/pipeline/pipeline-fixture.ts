/**
 * The farm's processes on a real ledger for pipeline tests: the projection runner, a dispatcher and
 * the coordinator wired as `tally serve` wires them (evaluation is not under test: its queue is a
 * stub), plus ways to record what the farm's other parts would (a specification, a completed
 * evaluation, a queued build) and to wait until the pipeline state says something — on the events
 * the projections fold in, never on time.
 */
import pino from 'pino';
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { connectEventStore } from '../../../adapters/eventstore/esdb-event-store.ts';
import type { EventStore, RecordedEvent } from '../../../adapters/eventstore/event-store.ts';
import { decodeRecorded } from '../../../adapters/eventstore/read-domain-event.ts';
import {
  type Coordinator,
  type CoordinatorOptions,
  createCoordinator,
} from '../../../adapters/pipeline/coordinator.ts';
import { createDispatcher, type Dispatcher } from '../../../adapters/pipeline/dispatcher/dispatcher.ts';
import type { SubstituteFinder } from '../../../adapters/pipeline/scheduler/substitutes.ts';
import type { BuildCommand } from '../../../domain/build/commands.ts';
import { buildDecider } from '../../../domain/build/index.ts';
import { chunkJobs } from '../../../domain/evaluation/chunk-jobs.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import type { Job } from '../../../domain/evaluation/job.ts';
import type { TallyEvent } from '../../../domain/events.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { specificationDecider } from '../../../domain/specification/index.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import { allProjections } from '../../../projections/catalogue.ts';
import type { PipelineBuild, PipelineState } from '../../../projections/pipeline/index.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../../projections/runtime/runner.ts';
import { createMemorySnapshotStore } from '../../../projections/runtime/snapshot-store.ts';
import { getIn } from '../../../projections/shared/persistent-map.ts';
import type { WorkersState } from '../../../projections/workers/index.ts';
import { startTestLedger, type TestLedger } from '../../helpers/ledger.ts';
import { collect } from '../../helpers/uvu.ts';

export const quietLogger = pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' });

/** A specification as events carry it: defaults for everything but its name. */
export function specNamed(name: string, overrides: Partial<Specification> = {}): Specification {
  return {
    name,
    channels: [{ name: 'main', url: '/nowhere', branch: 'main' }],
    evaluator: { kind: 'native', entry: 'tally.jobs.json' },
    systems: ['x86_64-linux'],
    priority: 0,
    pollingPeriodSeconds: 0,
    buildLimits: { timeoutSeconds: 60, maxSilentSeconds: 60, maxLogBytes: 1 << 20 },
    retries: 0,
    keepEvaluations: 1,
    active: true,
    ...overrides,
  };
}

export interface PipelineFixture {
  readonly ledger: TestLedger;
  readonly events: EventStore;
  readonly projections: ProjectionRunner<TallyEvent>;
  readonly dispatcher: Dispatcher;
  readonly coordinator: Coordinator;
  state(): PipelineState;
  build(drvPath: string): PipelineBuild | undefined;
  /** Registers `spec` and waits until the pipeline state holds it. */
  registerSpec(spec: Specification): Promise<void>;
  /** Records a requested, started and completed evaluation of `jobs` (the coordinator then schedules it). */
  completeEvaluation(spec: string, evaluationId: string, jobs: readonly Job[]): Promise<void>;
  /** Records an evaluation that failed after recording `jobs` (they stay wanters of their derivations). */
  failEvaluation(spec: string, evaluationId: string, jobs: readonly Job[]): Promise<void>;
  /** Sends a command to a build stream as `user:test` would; returns the events it added. */
  command(drvPath: string, command: BuildCommand): Promise<readonly TallyEvent[]>;
  /** Resolves once `check` holds of the pipeline state (checked after every event folded in). */
  until(check: (state: PipelineState) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** The events of a build's stream, in order. */
  buildEvents(drvPath: string): Promise<RecordedEvent[]>;
  stop(): Promise<void>;
}

export interface PipelineFixtureOptions {
  readonly substitutes?: SubstituteFinder;
  /** The evaluation queue the coordinator hands evaluations to run (default: one that drops them). */
  readonly evaluations?: CoordinatorOptions['evaluations'];
  readonly backoffBaseMs?: number;
}

const noSubstitutes: SubstituteFinder = { find: async () => undefined, inStore: async () => true };

export async function startPipelineFixture(options: PipelineFixtureOptions = {}): Promise<PipelineFixture> {
  const ledger = await startTestLedger({ memory: true });
  const events = await connectEventStore(ledger.ledger.url);
  const projections = createProjectionRunner<TallyEvent>({
    source: events,
    projections: allProjections,
    decode: decodeRecorded,
    snapshots: createMemorySnapshotStore(),
    logger: quietLogger,
  });
  await projections.start();
  const state = () => projections.state<PipelineState>('pipeline');
  const dispatcher = createDispatcher({
    events,
    state,
    workers: () => projections.state<WorkersState>('workers'),
    logger: quietLogger,
    ...(options.backoffBaseMs === undefined ? {} : { backoffBaseMs: options.backoffBaseMs }),
  });
  const coordinator = createCoordinator({
    events,
    projections,
    evaluations: options.evaluations ?? { enqueue: () => undefined, cancel: () => undefined },
    dispatcher,
    substitutes: options.substitutes ?? noSubstitutes,
    logger: quietLogger,
  });
  await coordinator.start();
  let commands = 0;
  const context = (id: string) => ({
    cause: { kind: 'command', id } as const,
    actor: 'user:test' as const,
    at: new Date().toISOString(),
  });

  const until: PipelineFixture['until'] = (check, what, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      if (check(state())) return resolve();
      const timer = setTimeout(() => {
        detach();
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      const detach = projections.onApplied(() => {
        if (!check(state())) return;
        clearTimeout(timer);
        detach();
        resolve();
      });
    });

  /** Records an evaluation requested, started, with `jobs` (if any), then ended by `end`. */
  async function recordEvaluation(
    spec: string,
    evaluationId: string,
    jobs: readonly Job[],
    end:
      | { readonly type: 'CompleteEvaluation'; readonly jobCount: number }
      | { readonly type: 'FailEvaluation'; readonly reason: 'evaluator-error'; readonly logRef: string },
  ): Promise<void> {
    const stream = streams.evaluation(evaluationId);
    const send = async (command: Parameters<typeof evaluationDecider.decide>[0]) => {
      const at = context(`${evaluationId}:${command.type}:${'chunk' in command ? command.chunk : ''}`);
      return handleCommand(events, evaluationDecider, stream, { ...command, at: at.at }, at);
    };
    const common = { evaluationId, actor: 'evaluator', at: '' } as const;
    const checkout = {
      channel: 'main',
      url: '/nowhere',
      branch: 'main',
      commit: 'a'.repeat(40),
      commitTime: new Date().toISOString(),
    };
    await send({
      ...common,
      type: 'RequestEvaluation',
      spec,
      trigger: { kind: 'manual' },
      checkouts: [checkout],
    });
    await send({
      ...common,
      type: 'StartEvaluation',
      evaluator: { kind: 'native', entry: 'tally.jobs.json' },
    });
    if (jobs.length > 0)
      for (const chunk of chunkJobs(evaluationId, jobs))
        await send({ ...common, type: 'AddEvaluationJobs', chunk: chunk.chunk, jobs: chunk.jobs });
    const done = await send({ ...common, ...end });
    if (done.position !== undefined) await projections.waitFor(done.position, 10_000);
  }

  return {
    ledger,
    events,
    projections,
    dispatcher,
    coordinator,
    state,
    build: (drvPath) => getIn(state().builds, drvPath),
    async registerSpec(spec) {
      const at = context(`register:${spec.name}`);
      const handled = await handleCommand(
        events,
        specificationDecider,
        streams.spec(spec.name),
        { type: 'RegisterSpecification', spec, actor: at.actor, at: at.at },
        at,
      );
      if (handled.position !== undefined) await projections.waitFor(handled.position, 10_000);
    },
    completeEvaluation: (spec, evaluationId, jobs) =>
      recordEvaluation(spec, evaluationId, jobs, { type: 'CompleteEvaluation', jobCount: jobs.length }),
    failEvaluation: (spec, evaluationId, jobs) =>
      recordEvaluation(spec, evaluationId, jobs, {
        type: 'FailEvaluation',
        reason: 'evaluator-error',
        logRef: 'none',
      }),
    async command(drvPath, command) {
      const at = context(`test:${command.type}:${drvPath}:${++commands}`);
      const handled = await handleCommand(events, buildDecider, streams.build(drvPath), command, at);
      if (handled.position !== undefined) await projections.waitFor(handled.position, 10_000);
      return handled.events;
    },
    until,
    buildEvents: (drvPath) => collect(events.readStream(streams.build(drvPath))),
    async stop() {
      await coordinator.stop();
      await dispatcher.stop();
      await projections.stop();
      await events.close();
      await ledger.stop();
    },
  };
}
