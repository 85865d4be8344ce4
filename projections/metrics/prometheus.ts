/**
 * The metrics as Prometheus families, for the API's `/metrics`: every figure is a gauge set from the
 * read model (a counter in prom-client can only be incremented, and these come whole from the events).
 * `toPrometheusText` prints them in the text exposition format for a caller without prom-client.
 */

import { metricsSummary } from './queries.ts';
import { type MetricsState, outcomes } from './state.ts';

export interface PrometheusSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PrometheusFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge';
  readonly samples: readonly PrometheusSample[];
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

function family(
  name: string,
  help: string,
  samples: readonly { labels?: Record<string, string>; value: number | null }[],
): PrometheusFamily {
  return {
    name,
    help,
    type: 'gauge',
    samples: samples.flatMap(({ labels = {}, value }) => (value === null ? [] : [{ labels, value }])),
  };
}

/** The families; the per-day figures are those of the day of `now` (the latest event's when absent). */
export function prometheusFamilies(state: MetricsState, options: { readonly now?: string | number } = {}) {
  const summary = metricsSummary(state, { days: 1, ...options });
  const today = summary.days[0]!;
  const quantiles = (p: { p50: number | null; p90: number | null; p99: number | null }) => [
    { labels: { quantile: '0.5' }, value: seconds(p.p50) },
    { labels: { quantile: '0.9' }, value: seconds(p.p90) },
    { labels: { quantile: '0.99' }, value: seconds(p.p99) },
  ];
  return [
    family('tally_queue_length', 'Builds waiting in the queue (not yet dispatched to a worker).', [
      { value: state.queueLength },
    ]),
    family(
      'tally_builds_total',
      'Builds finished since the first event, by outcome.',
      outcomes.map((outcome) => ({ labels: { outcome }, value: state.totals.finished[outcome] })),
    ),
    family('tally_derivations_total', 'Derivations queued since the first event.', [
      { value: state.totals.derivations },
    ]),
    family('tally_evaluations_total', 'Evaluations completed since the first event.', [
      { value: state.totals.evaluations },
    ]),
    family('tally_evaluation_duration_seconds', 'Durations of evaluations completed today (UTC).', [
      { labels: { stat: 'avg' }, value: seconds(today.evaluations.avgMs) },
      { labels: { stat: 'p50' }, value: seconds(today.evaluations.p50Ms) },
      { labels: { stat: 'max' }, value: seconds(today.evaluations.maxMs) },
    ]),
    family(
      'tally_build_duration_seconds',
      'Start to finish of builds that succeeded today (UTC).',
      quantiles(today.buildDurationMs),
    ),
    family(
      'tally_queue_wait_seconds',
      'From entering the queue to starting, for builds started today (UTC).',
      quantiles(today.queueWaitMs),
    ),
    family('tally_substitute_hit_ratio', 'Builds of today (UTC) whose outputs came from a binary cache.', [
      { value: today.substituteHitRate },
    ]),
    family(
      'tally_spec_failure_ratio',
      'Share of builds finished today (UTC) that failed, per specification.',
      today.failureRates.map((rate) => ({ labels: { spec: rate.spec }, value: rate.rate })),
    ),
  ] satisfies PrometheusFamily[];
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** The families in Prometheus' text exposition format (version 0.0.4). */
export function toPrometheusText(families: readonly PrometheusFamily[]): string {
  const lines: string[] = [];
  for (const { name, help, type, samples } of families) {
    lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
    for (const { labels, value } of samples) {
      const pairs = Object.entries(labels).map(([key, v]) => `${key}="${escapeLabel(v)}"`);
      lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
