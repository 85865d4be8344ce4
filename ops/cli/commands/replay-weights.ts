/**
 * What each projection costs a replay thread, relative to the others, to balance `tally replay`'s
 * threads: CPU microseconds per event of replaying the core benchmark's farm into that projection
 * alone, beyond reading the log (`node --import tsx ops/bench/core/replay-costs.ts DIR/ledger`). That
 * counts the parsing and decoding a projection causes as well as its fold: folds measured alone on
 * events made in memory (`fold-costs.ts`) left one thread 16% slower than the other.
 * Only the proportions matter; a farm of another shape is still replayed correctly, if less evenly.
 */
export const replayWeights: Readonly<Record<string, number>> = {
  // Measured on the core benchmark's farm (1,766,807 events), 2026-12-07.
  queue: 5.94,
  workers: 1.6,
  metrics: 7.62,
  jobsets: 6.55,
  evaluations: 6.41,
  builds: 7.98,
  pipeline: 8.15,
};
