/**
 * The metrics read model's state: Cuirass's figures as time series, one bucket per UTC day (the last
 * `dayCapacity` days) and queue-length samples per hour (the last `hourCapacity` hours), plus running
 * totals and what it must remember of unfinished builds.
 */
import { emptyMap, type PMap } from '../shared/persistent-map.ts';
import { emptySample, type Sample } from './sample.ts';

/** How a build finished. */
export type Outcome =
  /** Built by a worker. */
  | 'succeeded'
  /** Every output came from a binary cache. */
  | 'substituted'
  /** Its own attempt failed (or the farm gave up on it). */
  | 'failed'
  /** An input failed, so it never ran. */
  | 'dependency-failed'
  /** Someone stopped it. */
  | 'cancelled';

export const outcomes: readonly Outcome[] = [
  'succeeded',
  'substituted',
  'failed',
  'dependency-failed',
  'cancelled',
];

export type OutcomeCounts = Readonly<Record<Outcome, number>>;

export const noOutcomes: OutcomeCounts = {
  succeeded: 0,
  substituted: 0,
  failed: 0,
  'dependency-failed': 0,
  cancelled: 0,
};

/** Builds of one specification that finished in a day (cancelled ones left out). */
export interface SpecOutcomes {
  readonly finished: number;
  readonly failed: number;
}

/** One UTC day. */
export interface DayBucket {
  /** Days since 1970-01-01 (UTC). */
  readonly day: number;
  readonly finished: OutcomeCounts;
  /** BuildQueued events: derivations the farm had not seen. */
  readonly newDerivations: number;
  /** Durations of completed evaluations, ms. */
  readonly evaluations: Sample;
  /** Start to finish of successful builds, ms. */
  readonly buildDurations: Sample;
  /** From entering the queue to the worker starting, ms. */
  readonly queueWaits: Sample;
  /** Outcomes by specification name. */
  readonly specs: PMap<SpecOutcomes>;
}

/** The queue length during one UTC hour. */
export interface HourBucket {
  /** Hours since the epoch. */
  readonly hour: number;
  /** At the last event of the hour. */
  readonly last: number;
  readonly max: number;
}

/** What the model remembers of a build between its events. */
export interface TrackedBuild {
  /** The specifications whose jobs want it. */
  readonly specs: readonly string[];
  /** Waiting in the queue (queued, restarted or requeued, and not yet dispatched): it counts in the queue length. */
  readonly live: boolean;
  /** When it last entered the queue and has not started since, epoch ms. */
  readonly enteredAt?: number;
}

export interface MetricsState {
  /** Oldest first, at most `dayCapacity`; days without events are absent. */
  readonly days: readonly DayBucket[];
  /** Oldest first, at most `hourCapacity`; hours without events are absent. */
  readonly hours: readonly HourBucket[];
  /** Builds waiting in the queue, as `/api/queue` lists them: not yet dispatched to a worker. */
  readonly queueLength: number;
  readonly totals: {
    readonly finished: OutcomeCounts;
    readonly derivations: number;
    readonly evaluations: number;
  };
  readonly builds: PMap<TrackedBuild>;
  /** The time of the latest fact folded in (epoch ms), the default `now` of queries. */
  readonly lastAt: number;
}

export const dayCapacity = 365;
export const hourCapacity = 168;
export const dayMs = 86_400_000;
export const hourMs = 3_600_000;

export function emptyDay(day: number): DayBucket {
  return {
    day,
    finished: noOutcomes,
    newDerivations: 0,
    evaluations: emptySample,
    buildDurations: emptySample,
    queueWaits: emptySample,
    specs: emptyMap(),
  };
}

export const initialMetricsState: MetricsState = {
  days: [],
  hours: [],
  queueLength: 0,
  totals: { finished: noOutcomes, derivations: 0, evaluations: 0 },
  builds: emptyMap(),
  lastAt: 0,
};
