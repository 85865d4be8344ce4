/**
 * What folding one event costs each projection, relative to the others, to balance `tally replay`'s
 * threads: CPU microseconds per event of a replay of that projection alone, less a replay of none,
 * on the core benchmark's synthetic farm (`node --expose-gc --import tsx ops/bench/core/fold-costs.ts`).
 * Only the proportions matter; a farm of another shape is still replayed correctly, if less evenly.
 */
export const replayWeights: Readonly<Record<string, number>> = {
  queue: 12.8,
  workers: 0.3,
  metrics: 11.1,
  jobsets: 8.1,
  evaluations: 7.7,
  builds: 10.5,
  pipeline: 8.2,
};
