/**
 * Row "dispatch decision, 100,000 queued / 1,000 runnable": the time of one `next` + `remove` on
 * the dispatcher's run queue, each decision followed (untimed) by queueing a new runnable build so
 * the queue stays full, with workers of different systems asking in turn and the last 256 picks
 * counted as running. The same-run baseline is the naive reference queue (a scan over the
 * runnable builds per decision) fed the same seeded workload; both must make the same decisions.
 */
import { createRunQueue, type RunQueue } from '../../../domain/scheduling/index.ts';
import { createNaiveRunQueue } from '../../../test/domain/scheduling/naive-run-queue.ts';
import { summarize } from '../harness/load.ts';
import type { BenchContext } from '../harness/types.ts';
import type { PipelineRow } from './row.ts';
import { shape, startedAt, syntheticQueue, workers } from './synthetic-queue.ts';

const seed = 20_240_501;
/** Picks counted as still running; an older pick has finished. */
const runningWindow = 256;
/** Picks compared between the index and the reference. */
const comparedPicks = 2_000;

interface DecisionRun {
  readonly decisionUs: { p50: number; p99: number; max: number };
  readonly addUs: { p50: number; p99: number; max: number };
  readonly setupMs: number;
  readonly decisions: number;
  /** The first `comparedPicks` picks, as `drvPath spec`. */
  readonly picks: readonly string[];
}

/** Runs `warmup` then `measured` decisions on a fresh queue filled with the seeded workload. */
function runDecisions(queue: RunQueue, warmup: number, measured: number): DecisionRun {
  const workload = syntheticQueue(seed);
  const setupStarted = performance.now();
  for (const build of workload.initial) queue.add(build);
  const setupMs = performance.now() - setupStarted;
  const { queued, runnable } = queue.counts();
  if (queued !== shape.queued || runnable !== shape.runnable)
    throw new Error(`the workload queued ${queued} builds with ${runnable} runnable`);

  const running = new Map<string, number>();
  const window: string[] = [];
  const decisionUs: number[] = [];
  const addUs: number[] = [];
  const picks: string[] = [];
  for (let decision = 0; decision < warmup + measured; decision++) {
    const now = startedAt + decision;
    const worker = workers[decision % workers.length]!;
    const started = performance.now();
    const pick = queue.next(worker, now, running);
    if (pick) queue.remove(pick.drvPath);
    const decided = performance.now();
    if (!pick)
      throw new Error(`no build for a worker of ${worker.systems.join(', ')} at decision ${decision}`);

    const replacement = workload.replacement(pick, now);
    const adding = performance.now();
    queue.add(replacement);
    const added = performance.now();

    if (picks.length < comparedPicks) picks.push(`${pick.drvPath} ${pick.spec}`);
    running.set(pick.spec, (running.get(pick.spec) ?? 0) + 1);
    window.push(pick.spec);
    if (window.length > runningWindow) {
      const finished = window.shift()!;
      const left = running.get(finished)! - 1;
      if (left === 0) running.delete(finished);
      else running.set(finished, left);
    }
    if (decision >= warmup) {
      decisionUs.push((decided - started) * 1000);
      addUs.push((added - adding) * 1000);
    }
  }
  return { decisionUs: summarize(decisionUs), addUs: summarize(addUs), setupMs, decisions: measured, picks };
}

const name = 'dispatch decision, 100,000 queued / 1,000 runnable';
const us = (value: number) => `${value.toFixed(1)} µs`;

export const dispatchDecision: PipelineRow = {
  name,
  async run(bench: BenchContext) {
    let naive: DecisionRun | undefined;
    const baseline = await bench.baseline(
      'naive scan',
      async () => {
        naive = runDecisions(createNaiveRunQueue(), 1_000, 10_000);
        return { value: naive.decisionUs.p99, unit: 'µs' };
      },
      'next + remove by a scan over the runnable builds',
    );
    await bench.measure(
      {
        name,
        target: { comparison: 'at-most', value: 1000, unit: 'µs' },
        baselines: [baseline],
      },
      async () => {
        const run = runDecisions(createRunQueue(), 10_000, 100_000);
        if (naive) {
          const differs = run.picks.findIndex((pick, index) => pick !== naive!.picks[index]);
          if (differs >= 0)
            throw new Error(
              `decision ${differs} differs from the reference: ${run.picks[differs]} vs ${naive.picks[differs]}`,
            );
        }
        return {
          figure: { value: run.decisionUs.p99, unit: 'µs' },
          note:
            `p99 of next+remove; p50 ${us(run.decisionUs.p50)}, max ${us(run.decisionUs.max)} over ` +
            `${run.decisions.toLocaleString('en-US')} decisions; re-add p99 ${us(run.addUs.p99)}; ` +
            `index built in ${run.setupMs.toFixed(0)} ms` +
            (naive ? `; naive scan p50 ${us(naive.decisionUs.p50)}, p99 ${us(naive.decisionUs.p99)}` : '') +
            `; ${shape.specs} specs, 3 systems, ${comparedPicks} first picks identical to the reference`,
          details: { index: run.decisionUs, add: run.addUs, setupMs: run.setupMs, naive: naive?.decisionUs },
        };
      },
    );
  },
};
