/** One row (or a few related rows) of the pipeline suite, in its own module, listed by `suite.ts`. */
import type { BenchContext } from '../harness/types.ts';

export interface PipelineRow {
  /** What the row measures, for progress lines and for the CRASH row if it throws outside `measure`. */
  readonly name: string;
  /** Measures and records the row through `bench.measure` / `bench.record`. */
  run(bench: BenchContext): Promise<void>;
}
