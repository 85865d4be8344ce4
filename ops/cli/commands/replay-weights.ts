/**
 * What folding one event costs each projection, relative to the others, to balance `tally replay`'s
 * threads: CPU microseconds per event of folding the core benchmark's synthetic farm into that
 * projection alone, with no reading or decoding (`node --expose-gc --import tsx
 * ops/bench/core/fold-costs.ts 0.25`).
 * Only the proportions matter; a farm of another shape is still replayed correctly, if less evenly.
 */
export const replayWeights: Readonly<Record<string, number>> = {
  // Measured at scale 0.25 (439,969 events), 2026-12-07.
  queue: 1.56,
  workers: 0.18,
  metrics: 2.49,
  jobsets: 1.1,
  evaluations: 2.34,
  builds: 3.35,
  pipeline: 2.7,
};
