/**
 * Each specification's recent use of the workers, which the run queue compares to choose among the
 * specifications of one priority: the builds it runs now plus its recent dispatches, each weighing
 * half as much every `halfLifeMs`. Running builds alone say nothing when few slots are shared:
 * between two dispatches nothing runs, every specification counts zero, and the one whose builds
 * were queued first would take every slot until all of them had run.
 */
import type { RunningBySpec } from '../../../domain/scheduling/index.ts';

export interface FairShare {
  /** Counts a dispatch for `spec` at `now` (epoch ms). */
  dispatched(spec: string, now: number): void;
  /** What each specification has used, for `RunQueue.next`: fewer goes first. */
  shares(running: RunningBySpec, now: number): RunningBySpec;
}

/** Below this a specification's past dispatches are forgotten. */
const negligible = 1e-3;

export function createFairShare(halfLifeMs = 5 * 60_000): FairShare {
  const recent = new Map<string, { weight: number; at: number }>();
  const decayed = (entry: { weight: number; at: number }, now: number) =>
    entry.weight * 2 ** (-Math.max(0, now - entry.at) / halfLifeMs);

  return {
    dispatched(spec, now) {
      const entry = recent.get(spec);
      recent.set(spec, { weight: (entry ? decayed(entry, now) : 0) + 1, at: now });
    },
    shares(running, now) {
      const shares = new Map(running);
      for (const [spec, entry] of recent) {
        const weight = decayed(entry, now);
        if (weight < negligible) recent.delete(spec);
        else shares.set(spec, (shares.get(spec) ?? 0) + weight);
      }
      return shares;
    },
  };
}
