/**
 * The runner's side of `BenchContext`: collects rows, turns throws into CRASH rows, and owns the
 * cleanup stack of one suite run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCleanupStack } from './cleanup.ts';
import type { Baseline, BenchContext, BenchmarkResult, Outcome, Target } from './types.ts';

export interface SuiteRun {
  readonly context: BenchContext;
  readonly results: readonly BenchmarkResult[];
  /** True once any benchmark or baseline has crashed. */
  crashed(): boolean;
  /** Runs every deferred cleanup; safe to call twice (the second call finds nothing left). */
  cleanup(): Promise<void>;
}

export function createSuiteRun(suiteName: string): SuiteRun {
  const results: BenchmarkResult[] = [];
  const cleanups = createCleanupStack();
  const startedAt = performance.now();
  let anyCrash = false;

  const progress = (message: string) => {
    const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${suiteName} ${elapsed}s] ${message}\n`);
  };

  const context: BenchContext = {
    async measure(spec, body) {
      progress(`${spec.name}…`);
      try {
        const measured = await body();
        const outcome = judge(measured.figure.value, spec.target);
        results.push({ ...spec, ...measured, baselines: spec.baselines ?? [], outcome });
        return measured;
      } catch (error) {
        anyCrash = true;
        progress(`${spec.name} crashed: ${describe(error, true)}`);
        results.push({ ...spec, baselines: spec.baselines ?? [], outcome: 'CRASH', error: describe(error) });
        return undefined;
      }
    },
    record(result) {
      if (result.outcome === 'CRASH') anyCrash = true;
      results.push(result);
    },
    async baseline(label, body, activity): Promise<Baseline> {
      progress(`baseline: ${label}${activity ? `, ${activity}` : ''}…`);
      try {
        return { kind: 'measured', label, figure: await body() };
      } catch (error) {
        anyCrash = true;
        progress(`baseline ${label} crashed: ${describe(error, true)}`);
        return { kind: 'crashed', label, error: describe(error) };
      }
    },
    defer: (step) => cleanups.push(step),
    async tempDir(prefix) {
      const dir = await mkdtemp(join(tmpdir(), `tally-bench-${prefix}-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    progress,
  };

  return {
    context,
    results,
    crashed: () => anyCrash,
    async cleanup() {
      for (const error of await cleanups.runAll()) {
        anyCrash = true;
        progress(`cleanup failed: ${describe(error, true)}`);
      }
    },
  };
}

/** PASS/MISS against the target; INFO when there is none. */
export function judge(value: number, target: Target | undefined): Outcome {
  if (!target) return 'INFO';
  const met = target.comparison === 'at-least' ? value >= target.value : value <= target.value;
  return met ? 'PASS' : 'MISS';
}

function describe(error: unknown, withStack = false): string {
  if (!(error instanceof Error)) return String(error);
  return withStack && error.stack ? error.stack : error.message;
}
