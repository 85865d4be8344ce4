/**
 * Starting the farm's own processes inside the server, once the projections have loaded: what
 * `startTally` runs after the event store, the read models and the API.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { killLeftBuilds } from '../../adapters/builders/left-builds.ts';
import { createNativeBuilder } from '../../adapters/builders/native/native-builder.ts';
import { createNixBuilder } from '../../adapters/builders/nix/nix-builder.ts';
import { createRunningBuilds } from '../../adapters/builders/running-builds.ts';
import { defaultEvaluationLimits } from '../../adapters/evaluators/evaluator.ts';
import { createNativeEvaluator } from '../../adapters/evaluators/native/native-evaluator.ts';
import { createNixEvaluator } from '../../adapters/evaluators/nix/nix-evaluator.ts';
import type { EventStore } from '../../adapters/eventstore/event-store.ts';
import { createNotifier } from '../../adapters/notifications/notifier.ts';
import { createCoordinator } from '../../adapters/pipeline/coordinator.ts';
import { createDispatcher } from '../../adapters/pipeline/dispatcher/dispatcher.ts';
import { createEvaluationRunner } from '../../adapters/pipeline/evaluation-runner/index.ts';
import { createPoller, type Poller } from '../../adapters/pipeline/poller/index.ts';
import { createSubstituteFinder } from '../../adapters/pipeline/scheduler/substitutes.ts';
import type { Store } from '../../adapters/store/store.ts';
import { createLocalWorker } from '../../adapters/workers/local-worker.ts';
import type { SecretKey } from '../../domain/derivation/signing.ts';
import type { TallyEvent } from '../../domain/events.ts';
import type { PipelineState } from '../../projections/pipeline/index.ts';
import type { ProjectionRunner } from '../../projections/runtime/runner.ts';
import type { WorkersState } from '../../projections/workers/index.ts';
import type { TallyServerOptions } from './start-tally.ts';

export interface Pipeline {
  readonly poller: Poller;
}

/**
 * The farm's own processes: the poller, the evaluation runner, the dispatcher with its local
 * workers, the coordinator that feeds them events, and the notifier that reports ended evaluations.
 * Stopped in reverse: the poller first, the workers last (their running attempts are requeued at the
 * next start).
 */
export async function startPipeline(
  options: TallyServerOptions,
  events: EventStore,
  projections: ProjectionRunner<TallyEvent>,
  store: Store,
  farmKey: SecretKey,
  stops: Array<() => Promise<unknown>>,
): Promise<Pipeline> {
  const { dataDir } = options;
  const logger = options.logger;
  // Before the coordinator starts, which requeues the builds that were running: a build process a
  // crashed run left would write into the paths their new attempts write into.
  const runningBuildsDir = join(dataDir, 'running-builds');
  await killLeftBuilds(runningBuildsDir, logger.child({ component: 'worker' }));
  const runningBuilds = createRunningBuilds(runningBuildsDir, logger.child({ component: 'worker' }));
  const state = () => projections.state<PipelineState>('pipeline');
  const dispatcher = createDispatcher({
    events,
    state,
    workers: () => projections.state<WorkersState>('workers'),
    logger: logger.child({ component: 'dispatcher' }),
  });
  stops.push(() => dispatcher.stop());
  const evaluations = createEvaluationRunner({
    eventStore: events,
    store,
    dataDir,
    logger: logger.child({ component: 'evaluator' }),
    evaluators: { native: createNativeEvaluator(), nix: createNixEvaluator() },
    concurrency: options.evaluationConcurrency ?? 2,
    limits: {
      ...defaultEvaluationLimits,
      timeoutMs: options.evaluationTimeoutMs ?? defaultEvaluationLimits.timeoutMs,
      memoryBytes: options.evaluationMemoryBytes ?? defaultEvaluationLimits.memoryBytes,
    },
  });
  stops.push(() => evaluations.stop());
  const coordinator = createCoordinator({
    events,
    projections,
    evaluations,
    dispatcher,
    substitutes: createSubstituteFinder({ store, upstreams: options.substituters ?? [] }),
    logger: logger.child({ component: 'coordinator' }),
  });
  await coordinator.start();
  stops.push(() => coordinator.stop());
  const notifier = createNotifier({
    events,
    projections,
    signingKey: farmKey,
    logger: logger.child({ component: 'notifier' }),
  });
  await notifier.start();
  stops.push(() => notifier.stop());
  const builder =
    options.builder === 'nix'
      ? createNixBuilder({ logger: logger.child({ component: 'nix-builder' }), runningBuilds })
      : createNativeBuilder({ isolation: options.isolation ?? 'auto', logger, runningBuilds });
  for (let i = 1; i <= (options.localWorkers ?? 0); i++) {
    const name = `${hostname()}-local-${i}`;
    await dispatcher.addWorker(name, (reports) =>
      createLocalWorker(
        { name, store, builder, logger: logger.child({ component: 'worker', worker: name }) },
        reports,
      ),
    );
  }
  // Credentials for private remotes, in git's credential-store format, if the operator wrote them.
  const credentialsFile = join(dataDir, 'git-credentials');
  const poller = createPoller({
    eventStore: events,
    dataDir,
    ...(existsSync(credentialsFile) ? { credentialsFile } : {}),
    logger: logger.child({ component: 'poller' }),
    listSpecs: () => Object.values(state().specs),
  });
  poller.start();
  stops.push(() => poller.stop());
  return { poller };
}
