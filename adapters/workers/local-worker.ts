/**
 * A worker inside the server process: it realises the attempts the dispatcher assigns with a builder
 * (native or nix) against the server's own store, streams each log into the store while it is
 * written (readable during the build), registers the outputs as valid paths (so the binary cache
 * serves them at once), and reports back through the same contract a remote worker uses.
 *
 * Every attempt ends with exactly one `finished` report, whatever happens: failures of the farm
 * (a missing input, a full disk, a builder that throws) are `infrastructure` failures with a
 * message, never a rejected promise.
 */
import type { Logger } from 'pino';
import type { Builder, BuildFailure } from '../builders/builder.ts';
import { describeBuildFailure } from '../builders/builder.ts';
import type { LiveLog } from '../store/logs.ts';
import type { Store } from '../store/store.ts';
import { InfrastructureFailure, inputClosure, inputsOf, readStoreDerivation } from './attempt-inputs.ts';
import { type CapabilityOverrides, localCapabilities } from './local-capabilities.ts';
import { registerOutputs } from './register-outputs.ts';
import type { Assignment, AttemptOutcome, WorkerLink, WorkerReports } from './worker-link.ts';

export interface LocalWorkerOptions {
  readonly name: string;
  readonly store: Store;
  readonly builder: Builder;
  readonly logger: Logger;
  /** What to say instead of what the host says (default: its system, 1 build at once). */
  readonly capabilities?: CapabilityOverrides;
}

const failed = (failure: BuildFailure): AttemptOutcome => ({
  ok: false,
  ...failure,
  message: describeBuildFailure(failure),
});

const infrastructure = (detail: string): AttemptOutcome => failed({ reason: 'infrastructure', detail });

export function createLocalWorker(options: LocalWorkerOptions, reports: WorkerReports): WorkerLink {
  const { store, builder } = options;
  const logger = options.logger;
  const capabilities = localCapabilities(options.name, store.storeDir, options.capabilities);
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let closed = false;

  /** Builds with the log open, registers the outputs; the log is closed by the caller. */
  async function buildLogged(
    assignment: Assignment,
    prepared: Awaited<ReturnType<typeof prepare>>,
    log: LiveLog,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    const result = await builder.build({
      drvPath: assignment.drvPath,
      drv: prepared.drv,
      storeDir: store.storeDir,
      limits: assignment.limits,
      signal,
      inputClosure: prepared.closure,
      onLog: (chunk) => log.append(chunk),
    });
    if (!result.ok) return failed(result);
    const registered = await registerOutputs(store, assignment.drvPath, result.outputs);
    return registered.ok ? registered : failed(registered);
  }

  async function prepare(assignment: Assignment) {
    const drv = await readStoreDerivation(assignment.drvPath);
    const closure = await inputClosure(store, await inputsOf(drv));
    return { drv, closure };
  }

  /** One attempt from its inputs to its last report. */
  async function run(assignment: Assignment, signal: AbortSignal): Promise<void> {
    const { attemptId, drvPath } = assignment;
    let startedAt = new Date();
    let outcome: AttemptOutcome;
    let log: LiveLog | undefined;
    try {
      const prepared = await prepare(assignment);
      if (signal.aborted) throw new Cancelled();
      startedAt = new Date();
      reports.started(attemptId, startedAt);
      log = await store.openLog(drvPath, assignment.attempt);
      outcome = await buildLogged(assignment, prepared, log, signal);
    } catch (error) {
      outcome = outcomeOf(error);
      if (!outcome.ok && outcome.reason === 'infrastructure') {
        logger.warn({ drvPath, attemptId, err: error }, 'the attempt failed around its build');
      }
    }
    if (log) {
      if (!outcome.ok && outcome.reason === 'infrastructure') {
        // The builder's log does not say why the farm gave up; its last line does.
        log.append(new TextEncoder().encode(`\ntally: ${outcome.message}\n`));
      }
      // If it cannot be compressed the outcome stands: what was written stays readable as a live log.
      const bytes = await log.close().catch((error: unknown) => {
        logger.error({ drvPath, attemptId, err: error }, 'the build log could not be compressed');
        return undefined;
      });
      if (bytes !== undefined) reports.logStored(attemptId, bytes);
    }
    running.delete(attemptId); // before the report, which may bring the next assignment at once
    reports.finished(attemptId, outcome, { startedAt, finishedAt: new Date() });
  }

  /** Refuses an assignment, reporting after `assign` has returned as any other report comes. */
  function refuse(attemptId: string, detail: string): void {
    const now = new Date();
    queueMicrotask(() =>
      reports.finished(attemptId, infrastructure(detail), { startedAt: now, finishedAt: now }),
    );
  }

  return {
    capabilities,
    assign(assignment) {
      const { attemptId } = assignment;
      if (closed) return refuse(attemptId, `worker ${options.name} is shutting down`);
      if (running.has(attemptId)) return refuse(attemptId, `attempt ${attemptId} is already running`);
      if (running.size >= capabilities.maxJobs) {
        return refuse(attemptId, `worker ${options.name} already runs ${running.size} builds, its most`);
      }
      const controller = new AbortController();
      const done = run(assignment, controller.signal)
        .catch((error: unknown) => {
          logger.error({ attemptId, err: error }, 'an attempt report failed');
        })
        .finally(() => {
          if (running.get(attemptId)?.done === done) running.delete(attemptId);
        });
      running.set(attemptId, { controller, done });
    },
    cancel(attemptId) {
      running.get(attemptId)?.controller.abort();
    },
    async close() {
      closed = true;
      for (const { controller } of running.values()) controller.abort();
      await Promise.allSettled([...running.values()].map((attempt) => attempt.done));
    },
  };
}

/** Cancelled before the builder started. */
class Cancelled extends Error {}

function outcomeOf(error: unknown): AttemptOutcome {
  if (error instanceof Cancelled) return failed({ reason: 'cancelled' });
  const message = error instanceof Error ? error.message : String(error);
  const detail = error instanceof InfrastructureFailure ? message : `the worker failed: ${message}`;
  return infrastructure(detail);
}
