/**
 * The evaluation runner: runs requested evaluations, a few at a time, each in a child process with
 * limits. For one evaluation: export the checkouts' commits from the poller's mirrors, record the
 * start, run the specification's evaluator, check its answer, put the sources and derivations into
 * the store, and record the jobs in chunks and the completion — or the failure with the evaluator's
 * log. A restart runs again what had not ended; chunks already recorded are not recorded twice.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Checkout } from '../../../domain/checkout/checkout.ts';
import { chunkJobs } from '../../../domain/evaluation/chunk-jobs.ts';
import type { EvaluationCommand } from '../../../domain/evaluation/commands.ts';
import { evaluationDecider } from '../../../domain/evaluation/index.ts';
import type { EvaluationFailureReason, Job } from '../../../domain/evaluation/job.ts';
import { fold } from '../../../domain/shared/decider.ts';
import { isDomainError } from '../../../domain/shared/errors.ts';
import { streams } from '../../../domain/shared/streams.ts';
import type { Specification } from '../../../domain/specification/specification.ts';
import type { EvaluationLimits, EvaluationResult, Evaluator } from '../../evaluators/evaluator.ts';
import { defaultEvaluationLimits } from '../../evaluators/evaluator.ts';
import type { EventStore } from '../../eventstore/event-store.ts';
import { readDomainEvent } from '../../eventstore/read-domain-event.ts';
import { exportCommit } from '../../git/export-commit.ts';
import { mirrorPath } from '../../git/mirror-path.ts';
import type { Store } from '../../store/store.ts';
import { issue, processCause } from '../issue.ts';
import { evaluationLogRef, writeEvaluationLog } from './evaluation-logs.ts';
import { ingestEvaluation } from './ingest.ts';
import { validateJobs } from './validate-jobs.ts';

export { readEvaluationLog } from './evaluation-logs.ts';

export interface PendingEvaluationRun {
  readonly evaluationId: string;
  readonly spec: Specification;
  readonly checkouts: readonly Checkout[];
  readonly started: boolean;
}

export interface EvaluationRunnerOptions {
  readonly eventStore: EventStore;
  readonly store: Store;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly evaluators: { readonly native: Evaluator; readonly nix?: Evaluator };
  readonly concurrency?: number;
  readonly limits?: EvaluationLimits;
}

export interface EvaluationRunner {
  enqueue(request: PendingEvaluationRun): void;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  /**
   * Forgets an evaluation that ended elsewhere (aborted by a person): drops it from the queue, or
   * kills its evaluator and records nothing more of it.
   */
  cancel(evaluationId: string): void;
  /** Kills running evaluators without recording anything (a restart runs them again). */
  stop(): Promise<void>;
}

class Failure extends Error {
  constructor(
    readonly reason: EvaluationFailureReason,
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
}

/**
 * The jobs in chunks of at most one event each. A job too large for any event is the evaluation's
 * failure (`output-too-large`), not a fault to retry: the same evaluator gives the same job again.
 */
function chunked(evaluationId: string, jobs: readonly Job[]): ReturnType<typeof chunkJobs> {
  try {
    return chunkJobs(evaluationId, jobs);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    throw new Failure('output-too-large', error.message, error.message);
  }
}

export function createEvaluationRunner(options: EvaluationRunnerOptions): EvaluationRunner {
  const { eventStore, store, dataDir, logger } = options;
  const limits = options.limits ?? defaultEvaluationLimits;
  const concurrency = options.concurrency ?? 1;
  const waiting: PendingEvaluationRun[] = [];
  const known = new Set<string>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const idleWaiters: Array<() => void> = [];
  let stopped = false;

  const send = (run: PendingEvaluationRun, command: EvaluationCommand) =>
    issue(
      eventStore,
      evaluationDecider,
      streams.evaluation(run.evaluationId),
      command,
      processCause(`evaluate:${run.evaluationId}`),
      'evaluator',
    );

  async function readState(evaluationId: string) {
    const history = [];
    for await (const recorded of eventStore.readStream(streams.evaluation(evaluationId))) {
      history.push(readDomainEvent(recorded) as Parameters<typeof evaluationDecider.evolve>[1]);
    }
    return fold(evaluationDecider, history);
  }

  async function checkout(run: PendingEvaluationRun, workDir: string): Promise<string> {
    const [first, ...others] = run.checkouts;
    if (!first) throw new Failure('evaluator-error', 'the evaluation names no checkout', '');
    const main = join(workDir, 'checkout');
    for (const [index, each] of [first, ...others].entries()) {
      const target = index === 0 ? main : join(workDir, 'channels', each.channel);
      try {
        await exportCommit(mirrorPath(dataDir, each.url), each.commit, target);
      } catch (error) {
        const message = `commit ${each.commit} of channel ${each.channel} could not be checked out: ${(error as Error).message}`;
        throw new Failure('evaluator-error', message, message);
      }
    }
    return main;
  }

  function evaluatorOf(spec: Specification): Evaluator {
    const evaluator =
      spec.evaluator.kind === 'nix'
        ? options.evaluators.nix
        : spec.evaluator.kind === 'native'
          ? options.evaluators.native
          : undefined;
    if (!evaluator) {
      const message = `this server has no ${spec.evaluator.kind} evaluator; use native or nix`;
      throw new Failure('evaluator-error', message, message);
    }
    return evaluator;
  }

  /**
   * Records the jobs and the completion; false when it stopped first (the runner is stopping, or the
   * evaluation ended meanwhile: aborted by someone, so the stream refused the next chunk).
   */
  async function record(
    run: PendingEvaluationRun,
    jobs: readonly Job[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const state = await readState(run.evaluationId);
    if (state.status !== 'running') return false;
    // A re-run after a restart continues after the chunks already recorded (evaluations are pure).
    const chunks = chunked(run.evaluationId, jobs);
    let recordedJobs = 0;
    for (const chunk of chunks) {
      if (signal.aborted) return false;
      if (chunk.chunk < state.nextChunk) {
        recordedJobs += chunk.jobs.length;
        continue;
      }
      const at = new Date().toISOString();
      const result = await send(run, {
        type: 'AddEvaluationJobs',
        evaluationId: run.evaluationId,
        chunk: chunk.chunk,
        jobs: chunk.jobs,
        actor: 'evaluator',
        at,
      });
      if (!result.ok) return false;
      recordedJobs += chunk.jobs.length;
    }
    if (signal.aborted) return false;
    const at = new Date().toISOString();
    const completed = await send(run, {
      type: 'CompleteEvaluation',
      evaluationId: run.evaluationId,
      jobCount: recordedJobs,
      actor: 'evaluator',
      at,
    });
    return completed.ok;
  }

  async function evaluate(run: PendingEvaluationRun, signal: AbortSignal): Promise<void> {
    const state = await readState(run.evaluationId);
    if (state.status !== 'requested' && state.status !== 'running') return;
    const workDir = join(dataDir, 'evaluations', run.evaluationId);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    try {
      const evaluator = evaluatorOf(run.spec);
      const checkoutDir = await checkout(run, workDir);
      if (state.status === 'requested') {
        const at = new Date().toISOString();
        const started = await send(run, {
          type: 'StartEvaluation',
          evaluationId: run.evaluationId,
          evaluator: run.spec.evaluator,
          actor: 'evaluator',
          at,
        });
        if (!started.ok) return;
      }
      const result: EvaluationResult = await evaluator.evaluate({
        checkoutDir,
        entry: run.spec.evaluator.entry,
        storeDir: store.storeDir,
        systems: run.spec.systems,
        limits,
        signal,
      });
      if (signal.aborted) return;
      if (!result.ok) {
        const reason = result.reason === 'malformed-jobset' ? 'evaluator-error' : result.reason;
        throw new Failure(reason, result.message, result.log);
      }
      const checked = validateJobs(result.jobs, result.drvFiles, store.storeDir, run.spec.systems);
      if (!checked.ok)
        throw new Failure('malformed-output', checked.message, `${result.log}\n${checked.message}\n`);
      await ingestEvaluation(store, result.sources, result.drvFiles);
      const facts = { evaluationId: run.evaluationId, spec: run.spec.name, jobs: checked.jobs.length };
      if (await record(run, checked.jobs, signal)) logger.info(facts, 'evaluation completed');
      else logger.info(facts, 'evaluation left unfinished: the runner is stopping or the evaluation ended');
    } catch (error) {
      if (!(error instanceof Failure) || signal.aborted) throw error;
      await writeEvaluationLog(dataDir, run.evaluationId, `${error.message}\n\n${error.log}`);
      const at = new Date().toISOString();
      const message = error.message.split('\n').slice(0, 5).join('\n').slice(0, 2000);
      await send(run, {
        type: 'FailEvaluation',
        evaluationId: run.evaluationId,
        reason: error.reason,
        logRef: evaluationLogRef(run.evaluationId),
        message,
        actor: 'evaluator',
        at,
      });
      logger.info({ evaluationId: run.evaluationId, reason: error.reason, message }, 'evaluation failed');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  function next(): void {
    while (!stopped && running.size < concurrency && waiting.length > 0) {
      const run = waiting.shift()!;
      const controller = new AbortController();
      const done = evaluate(run, controller.signal)
        .catch((error) => {
          if (controller.signal.aborted) return;
          // The event store or the disk failed, not the repository: try again a little later.
          logger.error(
            { err: error, evaluationId: run.evaluationId },
            'an evaluation could not be run; retrying in 5 s',
          );
          const retry = setTimeout(() => {
            if (stopped) return;
            known.delete(run.evaluationId);
            enqueue(run);
          }, 5000);
          retry.unref();
        })
        .finally(() => {
          running.delete(run.evaluationId);
          known.delete(run.evaluationId);
          next();
          if (running.size === 0 && waiting.length === 0) for (const wake of idleWaiters.splice(0)) wake();
        });
      running.set(run.evaluationId, { controller, done });
    }
  }

  function enqueue(run: PendingEvaluationRun): void {
    if (stopped || known.has(run.evaluationId)) return;
    known.add(run.evaluationId);
    waiting.push(run);
    next();
  }

  return {
    enqueue,
    idle: () =>
      running.size === 0 && waiting.length === 0
        ? Promise.resolve()
        : new Promise((resolve) => idleWaiters.push(resolve)),
    cancel(evaluationId) {
      const queued = waiting.findIndex((run) => run.evaluationId === evaluationId);
      if (queued >= 0) {
        waiting.splice(queued, 1);
        known.delete(evaluationId);
      }
      const current = running.get(evaluationId);
      if (current && !current.controller.signal.aborted) {
        logger.info({ evaluationId }, 'evaluation aborted: its evaluator is stopped');
        current.controller.abort();
      }
      if (running.size === 0 && waiting.length === 0) for (const wake of idleWaiters.splice(0)) wake();
    },
    async stop() {
      stopped = true;
      waiting.length = 0;
      for (const { controller } of running.values()) controller.abort();
      await Promise.allSettled([...running.values()].map((run) => run.done));
    },
  };
}
