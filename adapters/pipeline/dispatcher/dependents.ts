/**
 * How a build's end reaches the builds that depend on it: a failed or cancelled root fails every
 * build waiting on it at once (reason dependency-failed, naming the root), and a restarted root
 * brings back every build that failed because of it. Both are commands the scheduler sends.
 */
import type { BuildCommand } from '../../../domain/build/index.ts';
import type { RunQueue } from '../../../domain/scheduling/index.ts';
import type { Actor } from '../../../domain/shared/metadata.ts';
import type { PipelineState } from '../../../projections/pipeline/index.ts';
import { entriesOf } from '../../../projections/shared/persistent-map.ts';

export interface DependentsContext {
  readonly queue: RunQueue;
  readonly state: () => PipelineState;
  readonly send: (drvPath: string, command: BuildCommand, actor: Actor, causeId: string) => Promise<unknown>;
  readonly now: () => number;
}

/** Fails, in the queue and in their streams, every build that can no longer run because `root` did not build. */
export async function failDependents(context: DependentsContext, root: string): Promise<void> {
  for (const { drvPath, root: failedRoot } of context.queue.markFailed(root)) {
    const command = {
      type: 'FailBuild',
      drvPath,
      reason: { kind: 'dependency-failed', root: failedRoot },
      message: `its dependency ${failedRoot} did not build`,
      actor: 'scheduler',
      at: new Date(context.now()).toISOString(),
    } as const;
    await context.send(drvPath, command, 'scheduler', `dependency-failed:${failedRoot}:${drvPath}`);
  }
}

/** A restarted root brings back every build that failed because of it. */
export async function restartDependents(
  context: DependentsContext,
  root: string,
  causeId: string,
): Promise<void> {
  for (const [drvPath, record] of entriesOf(context.state().builds)) {
    if (record.status !== 'failed' || record.failure?.kind !== 'dependency-failed') continue;
    if (record.failure.root !== root) continue;
    const command = {
      type: 'RestartBuild',
      drvPath,
      why: `its dependency ${root} was restarted`,
      actor: 'scheduler',
      at: new Date(context.now()).toISOString(),
    } as const;
    await context.send(drvPath, command, 'scheduler', `restart:${causeId}:${drvPath}`);
  }
}
