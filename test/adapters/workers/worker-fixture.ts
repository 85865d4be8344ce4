/**
 * A local worker over a real file store in a temporary directory, with the fixture jobset's
 * derivations and sources put in the store as the evaluation runner does, and a recorder of every
 * report the worker makes.
 */
import { join } from 'node:path';
import pino from 'pino';
import type { Builder, BuildLimits } from '../../../adapters/builders/builder.ts';
import { createNativeBuilder } from '../../../adapters/builders/native/native-builder.ts';
import type { EvaluatedJob } from '../../../adapters/evaluators/evaluator.ts';
import { createNativeEvaluator } from '../../../adapters/evaluators/native/native-evaluator.ts';
import { ingestEvaluation } from '../../../adapters/pipeline/evaluation-runner/ingest.ts';
import { openFileStore } from '../../../adapters/store/file-store.ts';
import type { Store } from '../../../adapters/store/store.ts';
import type { CapabilityOverrides } from '../../../adapters/workers/local-capabilities.ts';
import { createLocalWorker } from '../../../adapters/workers/local-worker.ts';
import type { AttemptOutcome, WorkerLink, WorkerReports } from '../../../adapters/workers/worker-link.ts';
import { tempDir } from '../../helpers/uvu.ts';
import { type DrvSpec, shDrv, type TestDrv } from '../builders/derivations.ts';

const fixtureJobset = new URL('../../fixtures/jobsets/graph', import.meta.url).pathname;

export const limits: BuildLimits = { timeoutMs: 20_000, maxSilentMs: 20_000, maxLogBytes: 1 << 20 };

/** One report, as the worker made it. */
export type Report =
  | { readonly kind: 'started'; readonly attemptId: string }
  | { readonly kind: 'logStored'; readonly attemptId: string; readonly bytes: number }
  | {
      readonly kind: 'finished';
      readonly attemptId: string;
      readonly outcome: AttemptOutcome;
      readonly at: number;
    };

/** Every report in order, and a way to wait for one. */
export class ReportRecorder implements WorkerReports {
  readonly reports: Report[] = [];
  private waiters: Array<() => void> = [];

  started(attemptId: string): void {
    this.push({ kind: 'started', attemptId });
  }
  logStored(attemptId: string, bytes: number): void {
    this.push({ kind: 'logStored', attemptId, bytes });
  }
  finished(attemptId: string, outcome: AttemptOutcome): void {
    this.push({ kind: 'finished', attemptId, outcome, at: Date.now() });
  }

  /** The kinds of the reports about `attemptId`, in order. */
  kinds(attemptId: string): string[] {
    return this.reports.filter((report) => report.attemptId === attemptId).map((report) => report.kind);
  }

  /** Resolves with the first report of `kind` about `attemptId`, once it has come. */
  async next<K extends Report['kind']>(kind: K, attemptId: string): Promise<Extract<Report, { kind: K }>> {
    for (;;) {
      const found = this.reports.find((report) => report.kind === kind && report.attemptId === attemptId);
      if (found) return found as Extract<Report, { kind: K }>;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The outcome of `attemptId`, once it has finished. */
  async outcome(attemptId: string): Promise<AttemptOutcome> {
    return (await this.next('finished', attemptId)).outcome;
  }

  private push(report: Report): void {
    this.reports.push(report);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

export interface WorkerFixture {
  readonly root: string;
  readonly store: Store;
  readonly jobs: ReadonlyMap<string, EvaluatedJob>;
  readonly reports: ReportRecorder;
  readonly worker: WorkerLink;
  /** A `/bin/sh -c` derivation written into the store and registered as a valid path. */
  drv(spec: DrvSpec): Promise<TestDrv>;
  cleanup(): Promise<void>;
}

export async function startWorkerFixture(
  options: { builder?: Builder; capabilities?: CapabilityOverrides } = {},
): Promise<WorkerFixture> {
  const dir = await tempDir('tally-worker-');
  const storeDir = join(dir.path, 'nix', 'store');
  const store = await openFileStore({ storeDir, stateDir: join(dir.path, 'state') });
  const evaluated = await createNativeEvaluator().evaluate({
    checkoutDir: fixtureJobset,
    entry: 'tally.jobs.json',
    storeDir,
    systems: ['x86_64-linux'],
    limits: { timeoutMs: 20_000, memoryBytes: 256 << 20, outputBytes: 1 << 20 },
  });
  if (!evaluated.ok) throw new Error(evaluated.message);
  await ingestEvaluation(store, evaluated.sources, evaluated.drvFiles);
  const reports = new ReportRecorder();
  const worker = createLocalWorker(
    {
      name: 'local-1',
      store,
      builder: options.builder ?? createNativeBuilder(),
      logger: pino({ level: process.env.TALLY_TEST_LOG ?? 'silent' }),
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    },
    reports,
  );
  return {
    root: dir.path,
    store,
    jobs: new Map(evaluated.jobs.map((job) => [job.name, job])),
    reports,
    worker,
    async drv(spec) {
      const made = shDrv(storeDir, spec);
      const references = [...made.drv.inputSrcs, ...made.drv.inputDrvs.keys()].sort();
      await store.addFromDirectory({ path: made.drvPath, references });
      return made;
    },
    async cleanup() {
      await worker.close();
      await dir.cleanup();
    },
  };
}
