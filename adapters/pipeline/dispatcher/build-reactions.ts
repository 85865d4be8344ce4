/**
 * What the dispatcher does with each live build event, once the pipeline state has folded it in: keep
 * the run queue in step with the builds, carry a failure or a restart on to the builds that depend on
 * it, and stop the running attempts of a cancelled build.
 */
import type { BuildEvent } from '../../../domain/build/events.ts';
import type { RunQueue } from '../../../domain/scheduling/index.ts';
import type { PipelineBuild } from '../../../projections/pipeline/index.ts';
import type { ProjectedEvent } from '../../../projections/runtime/projection.ts';
import { getIn } from '../../../projections/shared/persistent-map.ts';
import { type DependentsContext, failDependents, restartDependents } from './dependents.ts';

export interface ReactionContext extends DependentsContext {
  /** Asks the workers running an attempt of `drvPath` to stop it. */
  readonly cancelAttempts: (drvPath: string) => void;
}

/** Puts a queued build of the pipeline state into the run queue (again: adding replaces). */
export function queueFromState(queue: RunQueue, drvPath: string, record: PipelineBuild): void {
  queue.add({
    drvPath,
    system: record.system,
    priority: record.priority,
    specs: record.specs,
    queuedAt: record.queuedAt,
    dependencies: record.dependencies,
    ...(record.notBefore === undefined ? {} : { notBefore: record.notBefore }),
  });
}

/** Reacts to one live build event (already folded into the pipeline state). */
export async function reactToBuildEvent(
  context: ReactionContext,
  projected: ProjectedEvent<BuildEvent>,
): Promise<void> {
  const { queue } = context;
  const build = (drvPath: string) => getIn(context.state().builds, drvPath);
  const { event } = projected;
  const { drvPath } = event.data;
  const causeId = projected.id ?? `${projected.streamId}@${projected.revision}`;
  switch (event.type) {
    case 'BuildQueued':
    case 'BuildRestarted':
    case 'BuildRequeued': {
      const record = build(drvPath);
      if (record?.status === 'queued') {
        queueFromState(queue, drvPath, record);
        // A dependency that already failed dooms the build at once (a failure is not built twice).
        for (const dependency of record.dependencies) {
          const status = build(dependency)?.status;
          if (status === 'failed' || status === 'cancelled') await failDependents(context, dependency);
        }
      }
      if (event.type === 'BuildRestarted') await restartDependents(context, drvPath, causeId);
      break;
    }
    case 'BuildWanted': {
      const record = build(drvPath);
      if (record?.status === 'queued') queueFromState(queue, drvPath, record);
      break;
    }
    case 'BuildDispatched':
      queue.remove(drvPath);
      break;
    case 'BuildSucceeded':
    case 'BuildSubstituted':
      queue.markSucceeded(drvPath);
      break;
    case 'BuildFailed':
      await failDependents(context, drvPath);
      break;
    case 'BuildCancelled':
      context.cancelAttempts(drvPath);
      await failDependents(context, drvPath);
      break;
    default:
      return;
  }
}
