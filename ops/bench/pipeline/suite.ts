/**
 * The pipeline suite: how fast the farm's own processes turn events into work. Each row is a
 * module of this folder listed below; a row that throws outside its measurement becomes a CRASH
 * row and the next row still runs.
 *
 * Registered in `ops/bench/suites.ts` as `pipeline`. `TALLY_BENCH_ROWS=evaluation` (a substring of row
 * names, comma-separated for several) runs only the rows it names.
 */
import type { BenchSuite } from '../harness/types.ts';
import { dispatchDecision } from './dispatch-decision.ts';
import { evaluationQueued } from './evaluation-queued.ts';
import { evaluationRewanted } from './evaluation-rewanted.ts';
import { longHistoryScheduling } from './long-history-scheduling.ts';
import { longStreamCommand } from './long-stream-command.ts';
import type { PipelineRow } from './row.ts';
import { spawnStall } from './spawn-stall.ts';
import { webhookToBuild } from './webhook-to-build.ts';

const allRows: readonly PipelineRow[] = [
  dispatchDecision,
  evaluationQueued,
  evaluationRewanted,
  webhookToBuild,
  spawnStall,
  longStreamCommand,
  longHistoryScheduling,
];
const wanted = process.env.TALLY_BENCH_ROWS?.split(',').filter(Boolean);
const rows = wanted ? allRows.filter((row) => wanted.some((part) => row.name.includes(part))) : allRows;

export const pipelineSuite: BenchSuite = {
  description:
    'the farm pipeline: dispatch decisions over a full run queue, a 30,000-job evaluation queued, the same evaluated again with every build done, webhook to first build, event-loop stalls while git runs, a command on a long stream, an evaluation of derivations with long histories scheduled',
  async run(bench) {
    for (const row of rows) {
      try {
        await row.run(bench);
      } catch (error) {
        bench.record({ name: row.name, outcome: 'CRASH', baselines: [], error: String(error) });
      }
    }
  },
};
