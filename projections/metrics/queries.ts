/**
 * The metrics as the API serves them: a summary over the last days (continuous series, empty days
 * filled with zeros) with percentiles computed from each day's bounded sample.
 */

import { entriesOf } from '../shared/persistent-map.ts';
import { msOf } from '../shared/stored-time.ts';
import { percentile, type Sample, sortedValues } from './sample.ts';
import {
  type DayBucket,
  dayMs,
  emptyDay,
  hourCapacity,
  hourMs,
  type MetricsState,
  type OutcomeCounts,
} from './state.ts';

/** Percentiles of durations in ms; `null` when nothing was measured. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

export interface EvaluationDurations {
  readonly count: number;
  readonly avgMs: number | null;
  readonly p50Ms: number | null;
  readonly maxMs: number | null;
}

export interface SpecFailureRate {
  readonly spec: string;
  readonly finished: number;
  readonly failed: number;
  /** `failed / finished` (failed includes dependency-failed; cancelled builds are left out). */
  readonly rate: number;
}

export interface DaySummary {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly builds: OutcomeCounts;
  readonly newDerivations: number;
  readonly evaluations: EvaluationDurations;
  readonly buildDurationMs: Percentiles;
  readonly queueWaitMs: Percentiles;
  /** `substituted / (substituted + succeeded + failed)`: of builds that needed outputs, how many came from a cache. */
  readonly substituteHitRate: number | null;
  /** By specification name. */
  readonly failureRates: readonly SpecFailureRate[];
}

export interface HourSummary {
  /** `YYYY-MM-DDTHH:00:00.000Z`. */
  readonly hour: string;
  /** The queue length at the end of the hour (carried over hours without events). */
  readonly queueLength: number;
  readonly maxQueueLength: number;
}

export interface MetricsSummary {
  readonly queueLength: number;
  readonly totals: MetricsState['totals'];
  /** The last `days` days, oldest first. */
  readonly days: readonly DaySummary[];
  /** The last `min(days × 24, 168)` hours, oldest first. */
  readonly hours: readonly HourSummary[];
}

export interface MetricsQuery {
  readonly days: number;
  /** The end of the series; the latest event's time when absent. */
  readonly now?: string | number;
}

function percentiles(sample: Sample): Percentiles {
  const sorted = sortedValues(sample);
  return {
    count: sample.count,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
  };
}

function summariseDay(bucket: DayBucket): DaySummary {
  const { finished, evaluations } = bucket;
  const needed = finished.substituted + finished.succeeded + finished.failed;
  return {
    day: new Date(bucket.day * dayMs).toISOString().slice(0, 10),
    builds: finished,
    newDerivations: bucket.newDerivations,
    evaluations: {
      count: evaluations.count,
      avgMs: evaluations.count === 0 ? null : evaluations.sum / evaluations.count,
      p50Ms: percentile(sortedValues(evaluations), 50),
      maxMs: evaluations.count === 0 ? null : evaluations.max,
    },
    buildDurationMs: percentiles(bucket.buildDurations),
    queueWaitMs: percentiles(bucket.queueWaits),
    substituteHitRate: needed === 0 ? null : finished.substituted / needed,
    failureRates: [...entriesOf(bucket.specs)]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([spec, { finished: count, failed }]) => ({
        spec,
        finished: count,
        failed,
        rate: count === 0 ? 0 : failed / count,
      })),
  };
}

function hourSeries(state: MetricsState, endHour: number, count: number): HourSummary[] {
  const first = endHour - count + 1;
  let carried = 0;
  let index = 0;
  const { hours } = state;
  while (index < hours.length && hours[index]!.hour < first) carried = hours[index++]!.last;
  const series: HourSummary[] = [];
  for (let hour = first; hour <= endHour; hour++) {
    const bucket = hours[index]?.hour === hour ? hours[index++] : undefined;
    const start = carried;
    if (bucket) carried = bucket.last;
    series.push({
      hour: new Date(hour * hourMs).toISOString(),
      queueLength: carried,
      maxQueueLength: bucket ? Math.max(bucket.max, start) : carried,
    });
  }
  return series;
}

/** The figures of the last `days` days and hours, ending at `now` (or the latest event). */
export function metricsSummary(state: MetricsState, query: MetricsQuery): MetricsSummary {
  const now = query.now === undefined ? state.lastAt : msOf(query.now);
  const count = Math.max(0, Math.floor(query.days));
  const endDay = Math.floor(now / dayMs);
  const byDay = new Map(state.days.map((bucket) => [bucket.day, bucket]));
  const days: DaySummary[] = [];
  for (let day = endDay - count + 1; day <= endDay; day++)
    days.push(summariseDay(byDay.get(day) ?? emptyDay(day)));
  return {
    queueLength: state.queueLength,
    totals: state.totals,
    days,
    hours: hourSeries(state, Math.floor(now / hourMs), Math.min(count * 24, hourCapacity)),
  };
}
