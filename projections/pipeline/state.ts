/**
 * The pipeline's working memory: what the farm's own processes (evaluation runner, scheduler,
 * dispatcher) need to resume after a restart. It is a projection like the read models, so it is
 * snapshotted and rebuilt the same way, but nothing in the API serves it.
 */
import type { FailureReason } from '../../domain/build/build.ts';
import type { Checkout } from '../../domain/checkout/checkout.ts';
import type { Specification } from '../../domain/specification/specification.ts';
import { emptyMap, type PMap } from '../shared/persistent-map.ts';

/** An evaluation the pipeline still has work for: to run, or to schedule builds for. */
export interface PendingEvaluation {
  readonly spec: string;
  readonly checkouts: readonly Checkout[];
  readonly status: 'requested' | 'started' | 'completed';
  /** Job count from EvaluationCompleted; jobs not yet seen wanting a build are still to schedule. */
  readonly jobCount?: number;
  /** Jobs of this evaluation recorded as wanting a build so far. */
  readonly scheduledJobs: number;
}

export type PipelineBuildStatus =
  | 'queued'
  | 'dispatched'
  | 'building'
  | 'succeeded'
  | 'substituted'
  | 'failed'
  | 'cancelled';

/** What the scheduler and dispatcher keep of a build. */
export interface PipelineBuild {
  readonly status: PipelineBuildStatus;
  readonly system: string;
  readonly priority: number;
  readonly dependencies: readonly string[];
  /** The specifications wanting it, in the order they asked. */
  readonly specs: readonly string[];
  /** When it last entered the queue (epoch ms); a requeue keeps the place. */
  readonly queuedAt: number;
  /** How many attempts were dispatched. */
  readonly attempts: number;
  /** Transient failures since it last entered the queue by a person's or a scheduler's decision. */
  readonly retries: number;
  readonly attemptId?: string;
  readonly worker?: string;
  /** Set after a requeue with backoff: not dispatched before (epoch ms). */
  readonly notBefore?: number;
  readonly failure?: FailureReason;
}

export interface PipelineState {
  /** Every specification registered and not removed. */
  readonly specs: Readonly<Record<string, Specification>>;
  readonly evaluations: Readonly<Record<string, PendingEvaluation>>;
  readonly builds: PMap<PipelineBuild>;
}

export const initialPipelineState: PipelineState = { specs: {}, evaluations: {}, builds: emptyMap() };
