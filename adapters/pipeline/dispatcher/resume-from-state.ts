/**
 * Where the dispatcher starts from after a restart: the run queue filled from the pipeline state,
 * builds waiting behind a failure that happened while nobody reacted failed, and attempts that were
 * running when the coordinator stopped (nobody follows them any more) requeued.
 */
import type { PipelineBuild } from '../../../projections/pipeline/index.ts';
import { entriesOf } from '../../../projections/shared/persistent-map.ts';
import { queueFromState } from './build-reactions.ts';
import { type DependentsContext, failDependents } from './dependents.ts';

/** Resumes from `context.state()`; `followed` tells the attempts this dispatcher still follows. Returns how many were requeued. */
export async function resumeFromState(
  context: DependentsContext,
  followed: (attemptId: string) => boolean,
): Promise<number> {
  const { queue, send, now } = context;
  const state = context.state();
  const orphans: Array<[string, PipelineBuild]> = [];
  for (const [drvPath, record] of entriesOf(state.builds)) {
    if (record.status === 'queued') queueFromState(queue, drvPath, record);
    else if (record.status === 'succeeded' || record.status === 'substituted') queue.markSucceeded(drvPath);
    else if ((record.status === 'dispatched' || record.status === 'building') && record.attemptId) {
      if (!followed(record.attemptId)) orphans.push([drvPath, record]);
    }
  }
  // Builds queued behind a failure that happened while nobody reacted fail now.
  for (const [drvPath, record] of entriesOf(state.builds)) {
    if (record.status === 'failed' || record.status === 'cancelled') await failDependents(context, drvPath);
  }
  for (const [drvPath, record] of orphans) {
    const command = {
      type: 'RequeueBuild',
      drvPath,
      attemptId: record.attemptId!,
      why: 'coordinator-restart',
      notBefore: new Date(now()).toISOString(),
      detail: `attempt ${record.attempts} on ${record.worker} was running when the coordinator stopped`,
      actor: 'dispatcher',
      at: new Date(now()).toISOString(),
    } as const;
    await send(drvPath, command, 'dispatcher', `resume:${record.attemptId}`);
  }
  return orphans.length;
}
