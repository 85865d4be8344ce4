/** Commands and events of one build, shared by the build tests. */
import type { BuildEvent, Output } from '../../../domain/build/index.ts';

export const drvPath = '/nix/store/ihdwy5k1i80r3gggim39pday2v3vbpna-hello-2.12.drv';
export const at = '2024-05-01T12:00:00Z';
export const base = { drvPath, at, actor: 'dispatcher' } as const;
export const worker = { name: 'w1', systems: ['x86_64-linux', 'i686-linux'] };
export const wanter = { spec: 'guix', evaluation: 'e1', job: 'hello.x86_64-linux' };
export const output: Output = {
  name: 'out',
  path: '/nix/store/0c2kzmhpbwl8xwsyxsvmhzf3ynn6r4ww-hello-2.12',
  narHash: 'sha256:1n5vhj5l2yq1z5cn1nr1mgxrrbk0wzzm9p4k4y2r3x2s1fbgq4yj',
  narSize: 4096,
  references: [],
};
export const timings = { startedAt: at, finishedAt: '2024-05-01T12:05:00Z' };

export const queued: BuildEvent = {
  type: 'BuildQueued',
  data: { drvPath, system: 'x86_64-linux', wantedBy: [wanter], priority: 5, dependencies: [] },
};
export const dispatched = (attemptId: string, attempt = 1): BuildEvent => ({
  type: 'BuildDispatched',
  data: { drvPath, worker: 'w1', attemptId, attempt },
});
export const started = (attemptId: string): BuildEvent => ({
  type: 'BuildStarted',
  data: { drvPath, attemptId, startedAt: at },
});
export const succeeded = (attemptId: string): BuildEvent => ({
  type: 'BuildSucceeded',
  data: { drvPath, attemptId, outputs: [output], timings },
});
export const failed = (attemptId: string): BuildEvent => ({
  type: 'BuildFailed',
  data: { drvPath, attemptId, reason: { kind: 'exit-code', exitCode: 2 } },
});
export const requeued = (attemptId: string, notBefore = at): BuildEvent => ({
  type: 'BuildRequeued',
  data: { drvPath, attemptId, why: 'worker-lost', notBefore },
});
export const cancelled: BuildEvent = { type: 'BuildCancelled', data: { drvPath, by: 'user:alice' } };
