/** Build events for the read-model tests, with defaults a test overrides when it cares. */
import type { BuildEvent, FailureReason } from '../../../domain/build/index.ts';

const system = 'x86_64-linux';

export const queued = (
  drvPath: string,
  options: { system?: string; priority?: number; dependencies?: string[]; spec?: string } = {},
): BuildEvent => ({
  type: 'BuildQueued',
  data: {
    drvPath,
    system: options.system ?? system,
    wantedBy: [{ spec: options.spec ?? 'main', evaluation: 'e1', job: drvPath.slice(44) }],
    priority: options.priority ?? 5,
    dependencies: options.dependencies ?? [],
  },
});

export const wanted = (drvPath: string, priority: number, spec = 'other'): BuildEvent => ({
  type: 'BuildWanted',
  data: { drvPath, wantedBy: [{ spec, evaluation: 'e2', job: 'j' }], priority },
});

export const dispatched = (
  drvPath: string,
  worker = 'w1',
  attemptId = `${drvPath}#1`,
  attempt = 1,
): BuildEvent => ({
  type: 'BuildDispatched',
  data: { drvPath, worker, attemptId, attempt },
});

export const started = (drvPath: string, startedAt: string, attemptId = `${drvPath}#1`): BuildEvent => ({
  type: 'BuildStarted',
  data: { drvPath, attemptId, startedAt },
});

export const succeeded = (
  drvPath: string,
  timings: { startedAt: string; finishedAt: string },
  attemptId = `${drvPath}#1`,
): BuildEvent => ({
  type: 'BuildSucceeded',
  data: { drvPath, attemptId, outputs: [], timings },
});

export const substituted = (drvPath: string): BuildEvent => ({
  type: 'BuildSubstituted',
  data: { drvPath, from: 'https://cache.example', outputs: [] },
});

export const failed = (
  drvPath: string,
  reason: FailureReason = { kind: 'exit-code', exitCode: 1 },
  attemptId: string | undefined = `${drvPath}#1`,
): BuildEvent => ({
  type: 'BuildFailed',
  data: { drvPath, reason, ...(attemptId === undefined ? {} : { attemptId }) },
});

export const dependencyFailed = (drvPath: string, root: string): BuildEvent =>
  failed(drvPath, { kind: 'dependency-failed', root }, undefined);

export const cancelled = (drvPath: string): BuildEvent => ({
  type: 'BuildCancelled',
  data: { drvPath, by: 'user:alice' },
});

export const restarted = (drvPath: string): BuildEvent => ({
  type: 'BuildRestarted',
  data: { drvPath, by: 'user:alice' },
});

export const requeued = (drvPath: string, notBefore: string, attemptId = `${drvPath}#1`): BuildEvent => ({
  type: 'BuildRequeued',
  data: { drvPath, attemptId, why: 'retry-after-backoff', notBefore },
});
