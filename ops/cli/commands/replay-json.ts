/**
 * `tally replay --json`: the run as one JSON object on stdout, for scripts and monitoring. It says what
 * the text lines say: the figures, each rebuilt state's full hash, where the states were saved (or why
 * not), and with `--verify` each projection's verdict and whether the run passed.
 */
import type { LiveSave } from './replay-live.ts';
import type { ReplayedHashes, Verdict } from './replay-verify.ts';

/** What any replay measures and rebuilds, however it read the events. */
export interface ReplayFigures extends ReplayedHashes {
  readonly events: number;
  readonly skipped: number;
  /** Folding every event in, and hashing (and saving) the states afterwards. */
  readonly replayMs: number;
  readonly hashMs: number;
  /** Where the rebuilt states were saved as snapshots, and how long that took; absent when not saved. */
  readonly saved?: { readonly directory: string; readonly ms: number };
  /** How the events were read, for the summary line. */
  readonly how: string;
}

export function replayJson(
  figures: ReplayFigures,
  outcome:
    | { readonly kind: 'replayed'; readonly notSaved?: string }
    | {
        readonly kind: 'verified';
        readonly verdicts: ReadonlyMap<string, Verdict>;
        readonly ok: boolean;
        /** Whether a running server saved its live state before the comparison. */
        readonly live: LiveSave;
      },
): string {
  const seconds = figures.replayMs / 1000;
  return JSON.stringify({
    events: figures.events,
    position: figures.position,
    skipped: figures.skipped,
    seconds,
    eventsPerSecond: Math.round(figures.events / (seconds || 1)),
    hashSeconds: figures.hashMs / 1000,
    how: figures.how,
    hashes: Object.fromEntries(figures.hashes),
    ...(outcome.kind === 'replayed'
      ? figures.saved
        ? { saved: { directory: figures.saved.directory, seconds: figures.saved.ms / 1000 } }
        : { notSaved: outcome.notSaved }
      : { verdicts: Object.fromEntries(outcome.verdicts), ok: outcome.ok, live: outcome.live }),
  });
}
