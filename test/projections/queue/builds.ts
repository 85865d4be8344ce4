/** Build events for the read-model tests, with defaults a test overrides when it cares. */
import type { BuildEvent, FailureReason, Output } from '../../../domain/build/index.ts';

/** An output as the catalogue requires of a success (at least one). */
export const output: Output = {
  name: 'out',
  path: '/nix/store/0c2kzmhpbwl8xwsyxsvmhzf3ynn6r4ww-hello-2.12',
  narHash: 'sha256:1n5vhj5l2yq1z5cn1nr1mgxrrbk0wzzm9p4k4y2r3x2s1fbgq4yj',
  narSize: 4096,
  references: [],
};

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
  data: { drvPath, attemptId, outputs: [output], timings },
});

export const substituted = (drvPath: string): BuildEvent => ({
  type: 'BuildSubstituted',
  data: { drvPath, from: 'https://cache.example', outputs: [output] },
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
