/**
 * The metrics read model: Cuirass's figures as daily and hourly series, bounded in size, and the
 * same figures as Prometheus gauges.
 */
import type { BuildEvent } from '../../domain/build/events.ts';
import type { EvaluationEvent } from '../../domain/evaluation/events.ts';
import type { Projection } from '../runtime/projection.ts';
import { foldingReusedBuilds } from '../shared/reused-builds.ts';
import { evolveMetrics } from './evolve.ts';
import { prometheusFamilies, toPrometheusText } from './prometheus.ts';
import { metricsSummary } from './queries.ts';
import { initialMetricsState, type MetricsState } from './state.ts';

export * from './prometheus.ts';
export * from './queries.ts';
export type { MetricsState, Outcome } from './state.ts';

const handled = new Set<string>([
  'BuildQueued',
  'BuildWanted',
  'BuildDispatched',
  'BuildStarted',
  'BuildSucceeded',
  'BuildSubstituted',
  'BuildFailed',
  'BuildCancelled',
  'BuildRestarted',
  'BuildRequeued',
  'EvaluationCompleted',
  // Its builds' wants, folded as BuildWanted (`foldingReusedBuilds`).
  'EvaluationBuildsReused',
] satisfies (BuildEvent | EvaluationEvent)['type'][]);

export const metricsProjection: Projection<MetricsState, BuildEvent | EvaluationEvent> = {
  name: 'metrics',
  // 4: the queue length counts the builds waiting, as the queue does: a dispatch takes one out.
  version: 4,
  canHandle: (type) => handled.has(type),
  initialState: initialMetricsState,
  evolve: foldingReusedBuilds(evolveMetrics),
};

/** The metrics read model: its projection and the queries over its state. */
export const metrics = {
  projection: metricsProjection,
  queries: { metricsSummary, prometheusFamilies, toPrometheusText },
} as const;
