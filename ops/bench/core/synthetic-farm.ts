/**
 * A seeded synthetic farm history for replay and read-route measurements: many specifications
 * evaluated in rounds over shared package sets, streamed to a sink so that a million events need not
 * be held at once.
 */
import type { TallyEvent } from '../../../domain/events.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';
import { FarmHistory } from './farm-history.ts';
import { job } from './store-names.ts';

/** A seeded pseudo-random generator (mulberry32), for synthetic histories that replay identically. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticFarmOptions {
  readonly specs: number;
  readonly evaluationsPerSpec: number;
  readonly jobsPerEvaluation: number;
  /** The share of jobs whose derivation changes from one evaluation to the next (0…1). */
  readonly churn: number;
  /** The share of new derivations found in a binary cache rather than built. */
  readonly substituted?: number;
  /** The share of built derivations that fail. */
  readonly failing?: number;
  /** Specifications that evaluate the same package set (and so share derivations) come in groups of this size. */
  readonly sharing?: number;
  readonly seed?: number;
  readonly sink?: (event: ProjectedEvent<TallyEvent>) => void;
  /**
   * How evaluations' wants of builds that have ended are recorded: `wanted`, a `BuildWanted` on each
   * build's stream, as farms recorded before `EvaluationBuildsReused` existed (the default); `reused`,
   * as the scheduler records them now.
   */
  readonly recording?: 'wanted' | 'reused';
}

/** The core suite's farm at `scale` (1 ≈ 200 specs × 100 evaluations × 60 jobs, about 1.76 million events). */
export function coreFarmOptions(scale: number): SyntheticFarmOptions {
  return {
    specs: Math.max(2, Math.round(200 * scale)),
    evaluationsPerSpec: 100,
    jobsPerEvaluation: 60,
    churn: 0.3,
    seed: 7,
  };
}

/**
 * A farm's long life for replay measurements: `specs` specifications evaluated in rounds, each
 * evaluation changing `churn` of its jobs' derivations; new derivations are substituted, built or fail
 * (a fifth of the failures are dependency failures), a few failed builds are restarted and rebuilt.
 */
export function syntheticFarm(options: SyntheticFarmOptions): FarmHistory {
  const random = seededRandom(options.seed ?? 1);
  const farm = new FarmHistory(options.sink ? { sink: options.sink } : {});
  const sharing = Math.max(1, options.sharing ?? 2);
  const names = Array.from({ length: options.specs }, (_, n) => `spec${n}`);
  // Package versions per group of specifications that share a package set.
  const versions = new Map<number, number[]>();
  for (const name of names) farm.registerSpec(name);
  let lastFailed: string | undefined;
  for (let round = 0; round < options.evaluationsPerSpec; round++) {
    for (let n = 0; n < names.length; n++) {
      const spec = names[n]!;
      const group = Math.floor(n / sharing);
      const current = versions.get(group) ?? Array.from({ length: options.jobsPerEvaluation }, () => 0);
      if (n % sharing === 0 && round > 0) {
        for (let j = 0; j < current.length; j++) if (random() < options.churn) current[j] = round;
      }
      versions.set(group, current);
      const jobs = current.map((version, j) => job(`g${group}p${j}`, { version: String(version) }));
      farm.detectCheckout(spec);
      const evaluationId = farm.evaluate(spec, jobs);
      const reuseEnded = options.recording === 'reused';
      for (const drvPath of farm.scheduleBuilds(evaluationId, { reuseEnded })) {
        const roll = random();
        if (roll < (options.substituted ?? 0.5)) farm.substitute(drvPath);
        else if (random() < (options.failing ?? 0.1)) {
          if (lastFailed && random() < 0.2) farm.failDependency(drvPath, lastFailed);
          else {
            farm.build(drvPath, 'failed');
            lastFailed = drvPath;
          }
        } else farm.build(drvPath, 'succeeded');
      }
      if (lastFailed && random() < 0.05) {
        farm.restart(lastFailed, 'flaky');
        farm.build(lastFailed, 'succeeded');
        lastFailed = undefined;
      }
    }
  }
  return farm;
}
