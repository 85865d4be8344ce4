/**
 * A worker the test drives by hand: it builds nothing, keeps every assignment and cancel it is sent,
 * and reports exactly what the test tells it to, when the test tells it to — late, twice, or for an
 * attempt the dispatcher gave up on.
 */
import type { BuiltOutput } from '../../../adapters/builders/builder.ts';
import type {
  Assignment,
  AttemptOutcome,
  WorkerCapabilities,
  WorkerLink,
  WorkerReports,
} from '../../../adapters/workers/worker-link.ts';
import { storePathBaseName } from '../../../domain/derivation/index.ts';

export class ScriptedWorker implements WorkerLink {
  readonly capabilities: WorkerCapabilities;
  readonly assignments: Assignment[] = [];
  readonly cancels: string[] = [];
  closed = false;
  #reports: WorkerReports | undefined;
  #waiters: Array<() => void> = [];

  constructor(name: string, overrides: Partial<WorkerCapabilities> = {}) {
    this.capabilities = {
      name,
      systems: ['x86_64-linux'],
      maxJobs: 1,
      cores: 1,
      memoryBytes: 1 << 30,
      diskBytes: 1 << 30,
      version: 'test',
      ...overrides,
    };
  }

  /** What `Dispatcher.addWorker` calls: keeps the reports and hands back this link. */
  readonly connect = (reports: WorkerReports): WorkerLink => {
    this.#reports = reports;
    return this;
  };

  assign(assignment: Assignment): void {
    this.assignments.push(assignment);
    this.#wake();
  }

  cancel(attemptId: string): void {
    this.cancels.push(attemptId);
    this.#wake();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Resolves with the assignment number `index` (0-based), once it has come. */
  async assignment(index: number): Promise<Assignment> {
    await this.#until(() => this.assignments.length > index);
    return this.assignments[index]!;
  }

  /** Resolves once the dispatcher has asked to cancel `attemptId`. */
  cancelled(attemptId: string): Promise<void> {
    return this.#until(() => this.cancels.includes(attemptId));
  }

  started(attemptId: string): void {
    this.#reportsOrThrow().started(attemptId, new Date());
  }

  finish(attemptId: string, outcome: AttemptOutcome): void {
    const now = new Date();
    this.#reportsOrThrow().finished(attemptId, outcome, { startedAt: now, finishedAt: now });
  }

  /** Reports success with one made-up `out` output named after the derivation. */
  succeed(assignment: Assignment): void {
    this.finish(assignment.attemptId, { ok: true, outputs: [fakeOutput(assignment.drvPath)] });
  }

  #reportsOrThrow(): WorkerReports {
    if (!this.#reports) throw new Error(`${this.capabilities.name} was never connected`);
    return this.#reports;
  }

  async #until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** An output record for `drvPath` (nothing is in any store: the dispatcher only records it). */
export function fakeOutput(drvPath: string): BuiltOutput {
  const base = storePathBaseName(drvPath).slice(0, -'.drv'.length);
  return {
    name: 'out',
    path: `/nix/store/${base}`,
    narHash: `sha256:${'0'.repeat(52)}`,
    narSize: 8,
    references: [],
  };
}
