/**
 * A worker inside the server process: it realises the attempts the dispatcher assigns with a builder
 * (native or nix) against the server's own store, streams each log into the store while it is
 * written, registers the outputs as valid paths (so the binary cache serves them at once), and
 * reports back through the same contract a remote worker uses.
 */
import { statfs } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import type { Logger } from 'pino';
import type { Derivation } from '../../domain/derivation/index.ts';
import { packageVersion } from '../../ops/cli/version.ts';
import type { Builder, BuildFailure, BuiltOutput } from '../builders/builder.ts';
import { describeBuildFailure } from '../builders/builder.ts';
import { hostSystem } from '../builders/native/native-builder.ts';
import { readDerivation } from '../pipeline/scheduler/derivations.ts';
import type { Store } from '../store/store.ts';
import type {
  Assignment,
  AttemptOutcome,
  WorkerCapabilities,
  WorkerLink,
  WorkerReports,
} from './worker-link.ts';

export interface LocalWorkerOptions {
  readonly name: string;
  readonly store: Store;
  readonly builder: Builder;
  readonly logger: Logger;
  /** Builds at once; default 1. */
  readonly maxJobs?: number;
  readonly systems?: readonly string[];
}

class Infrastructure extends Error {}

/** Every path the inputs refer to, transitively: outputs may refer to any of them. */
async function inputClosure(store: Store, inputs: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [...inputs];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (seen.has(path)) continue;
    const info = await store.info(path);
    if (!info)
      throw new Infrastructure(`the input ${path} is not valid in the store; build or substitute it first`);
    seen.add(path);
    pending.push(...info.references);
  }
  return [...seen];
}

/** The store paths a build reads: its sources and the outputs it uses of its input derivations. */
async function inputsOf(drv: Derivation): Promise<string[]> {
  const paths = [...drv.inputSrcs];
  for (const [drvPath, outputs] of drv.inputDrvs) {
    const input = await readDerivation(drvPath);
    for (const output of outputs) {
      const path = input.outputs.get(output)?.path;
      if (!path) throw new Infrastructure(`the input derivation ${drvPath} has no output '${output}'`);
      paths.push(path);
    }
  }
  return paths;
}

export function createLocalWorker(options: LocalWorkerOptions, reports: WorkerReports): WorkerLink {
  const { store, builder, logger } = options;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const capabilities: WorkerCapabilities = {
    name: options.name,
    systems: [...(options.systems ?? [hostSystem()]), 'builtin'],
    maxJobs: options.maxJobs ?? 1,
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    diskBytes: 0,
    version: packageVersion(),
  };
  void statfs(store.storeDir).then(
    (stats) => Object.assign(capabilities, { diskBytes: stats.bavail * stats.bsize }),
    () => undefined,
  );

  async function register(drvPath: string, outputs: readonly BuiltOutput[]): Promise<void> {
    // Outputs referring to each other must be registered after what they refer to.
    const pending = [...outputs];
    while (pending.length > 0) {
      const ready = pending.findIndex((output) =>
        output.references.every((ref) => ref === output.path || !pending.some((other) => other.path === ref)),
      );
      const [output] = pending.splice(Math.max(ready, 0), 1);
      await store.addFromDirectory({ path: output!.path, references: output!.references, deriver: drvPath });
    }
  }

  async function attempt(assignment: Assignment, signal: AbortSignal): Promise<AttemptOutcome> {
    const drv = await readDerivation(assignment.drvPath).catch((error: Error) => {
      throw new Infrastructure(`the derivation ${assignment.drvPath} cannot be read: ${error.message}`);
    });
    const closure = await inputClosure(store, await inputsOf(drv));
    const log = await store.openLog(assignment.drvPath, assignment.attempt);
    const result = await builder.build({
      drvPath: assignment.drvPath,
      drv,
      storeDir: store.storeDir,
      limits: assignment.limits,
      signal,
      inputClosure: closure,
      onLog: (chunk) => log.append(chunk),
    });
    reports.logStored(assignment.attemptId, await log.finish());
    if (!result.ok) return { ...result, message: describeBuildFailure(result) } as AttemptOutcome;
    try {
      await register(assignment.drvPath, result.outputs);
    } catch (error) {
      const detail = `an output could not be registered: ${(error as Error).message}`;
      return { ok: false, reason: 'output-rejected', detail, message: detail };
    }
    return { ok: true, outputs: result.outputs };
  }

  function run(assignment: Assignment): void {
    const controller = new AbortController();
    const startedAt = new Date();
    const done = (async () => {
      reports.started(assignment.attemptId, startedAt);
      let outcome: AttemptOutcome;
      try {
        outcome = await attempt(assignment, controller.signal);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        const failure: BuildFailure = { reason: 'infrastructure', detail };
        outcome = { ok: false, ...failure, message: detail };
        logger.warn(
          { drvPath: assignment.drvPath, err: error },
          'the attempt failed before or after building',
        );
      }
      running.delete(assignment.attemptId);
      reports.finished(assignment.attemptId, outcome, { startedAt, finishedAt: new Date() });
    })();
    running.set(assignment.attemptId, { controller, done });
  }

  return {
    capabilities,
    assign(assignment) {
      if (running.size >= capabilities.maxJobs) {
        const detail = `worker ${options.name} is already running ${running.size} builds`;
        const now = new Date();
        reports.finished(
          assignment.attemptId,
          { ok: false, reason: 'infrastructure', detail, message: detail },
          { startedAt: now, finishedAt: now },
        );
        return;
      }
      run(assignment);
    },
    cancel(attemptId) {
      running.get(attemptId)?.controller.abort();
    },
    async close() {
      for (const { controller } of running.values()) controller.abort();
      await Promise.allSettled([...running.values()].map((attempt) => attempt.done));
    },
  };
}
