import { withTimeout } from './timeout.ts';

/** A step that has not finished by then is abandoned, so the steps after it still run. */
const stepTimeoutMs = 15_000;

/**
 * Last-in first-out cleanup for what a suite starts (server processes, PostgreSQL clusters, temp
 * directories). Every step runs even if an earlier one throws or hangs, so one stuck process cannot leave the
 * rest behind.
 */
export interface CleanupStack {
  push(step: () => Promise<void> | void): void;
  /** Runs and forgets every registered step, newest first; returns the errors it met. */
  runAll(): Promise<unknown[]>;
}

export function createCleanupStack(): CleanupStack {
  const steps: Array<() => Promise<void> | void> = [];
  return {
    push: (step) => {
      steps.push(step);
    },
    async runAll() {
      const errors: unknown[] = [];
      for (let step = steps.pop(); step; step = steps.pop()) {
        try {
          await withTimeout(Promise.resolve(step()), stepTimeoutMs, 'a cleanup step');
        } catch (error) {
          errors.push(error);
        }
      }
      return errors;
    },
  };
}
