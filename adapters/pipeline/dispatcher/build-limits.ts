/**
 * What a build's first wanting specification allows it: its limits as a worker enforces them, and
 * whether a failed attempt may be tried again.
 */
import { own } from '../../../domain/shared/own.ts';
import type { PipelineBuild, PipelineState } from '../../../projections/pipeline/index.ts';

/** The limits an attempt runs under (the specification's, or the farm's defaults). */
export function limitsFor(specs: PipelineState['specs'], record: PipelineBuild | undefined) {
  const spec = record ? own(specs, record.specs[0] ?? '') : undefined;
  const limits = spec?.buildLimits ?? {
    timeoutSeconds: 3600,
    maxSilentSeconds: 1800,
    maxLogBytes: 64 << 20,
  };
  return {
    timeoutMs: limits.timeoutSeconds * 1000,
    maxSilentMs: limits.maxSilentSeconds * 1000,
    maxLogBytes: limits.maxLogBytes,
  };
}

/** Whether the build has retries left under its specification's policy. */
export function retriesLeft(specs: PipelineState['specs'], record: PipelineBuild | undefined): boolean {
  const spec = record ? own(specs, record.specs[0] ?? '') : undefined;
  return record !== undefined && record.retries < (spec?.retries ?? 0);
}
