/**
 * The vocabulary shared by the bench runner and every suite: what a measurement is, what it is
 * judged against, and what a suite may ask of the runner.
 */

/** A measured quantity with its unit, e.g. `{ value: 12345, unit: 'events/s' }`. */
export interface Figure {
  readonly value: number;
  readonly unit: string;
}

/** What a figure must reach to PASS; a benchmark without one is informational. */
export interface Target {
  /** `at-least` for throughputs, `at-most` for latencies and memory. */
  readonly comparison: 'at-least' | 'at-most';
  readonly value: number;
  readonly unit: string;
}

/** A reference figure measured in the same run (the disk's fsync rate, PostgreSQL doing the same work). */
export type Baseline =
  /** Measured: shown beside the benchmark it gives context to. */
  | { readonly kind: 'measured'; readonly label: string; readonly figure: Figure }
  /** Not measured because something it needs is absent (not an error). */
  | { readonly kind: 'skipped'; readonly label: string; readonly reason: string }
  /** Its measurement threw: the run exits non-zero. */
  | { readonly kind: 'crashed'; readonly label: string; readonly error: string };

/** How a benchmark came out. */
export type Outcome =
  /** The figure meets its target. */
  | 'PASS'
  /** The figure was measured but misses its target (reported, never fatal). */
  | 'MISS'
  /** Measured, no target: context for the other rows. */
  | 'INFO'
  /** The benchmark threw: the run exits non-zero. */
  | 'CRASH';

/** One row of the results table. */
export interface BenchmarkResult {
  readonly name: string;
  readonly outcome: Outcome;
  readonly figure?: Figure;
  readonly target?: Target;
  readonly baselines: readonly Baseline[];
  /** One line of context: bounds hit, latency percentiles, CPU use of each side. */
  readonly note?: string;
  /** Structured extras for the JSON file (percentiles, counts, CPU). */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

/** What a benchmark's body returns once it has measured. */
export interface Measured {
  readonly figure: Figure;
  readonly note?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What the runner offers a suite while it runs. */
export interface BenchContext {
  /**
   * Runs one benchmark and records its row. A throw becomes a CRASH row (the run goes on and exits
   * non-zero) and resolves `undefined`, so later benchmarks that need its product can skip themselves.
   */
  measure(
    spec: { name: string; target?: Target; baselines?: readonly Baseline[] },
    body: () => Promise<Measured>,
  ): Promise<Measured | undefined>;
  /** Records a row whose body already ran, e.g. one of several figures measured by a single phase. */
  record(result: BenchmarkResult): void;
  /** Measures a baseline (`activity` names it in the progress line); a throw becomes a `crashed` baseline (and a non-zero exit), not a thrown error. */
  baseline(label: string, body: () => Promise<Figure>, activity?: string): Promise<Baseline>;
  /** Registers cleanup (stop a process, remove a directory); run last-in first-out at the end or on Ctrl-C. */
  defer(cleanup: () => Promise<void> | void): void;
  /** A fresh directory under the OS temp dir, removed at cleanup. */
  tempDir(prefix: string): Promise<string>;
  /** A progress line on stderr (stdout carries only the table). */
  progress(message: string): void;
}

/** A named group of benchmarks, registered in `suites.ts`. */
export interface BenchSuite {
  /** One line for `--help`. */
  readonly description: string;
  run(bench: BenchContext): Promise<void>;
}
