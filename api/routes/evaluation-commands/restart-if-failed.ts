/**
 * One build of `POST /api/evaluations/:id/restart-failed`: restarted if it has failed, at the revision
 * its failure was read at.
 */
import { handleCommand } from '../../../adapters/eventstore/command-handler.ts';
import { isEventStoreError } from '../../../adapters/eventstore/errors.ts';
import type { EventStore } from '../../../adapters/eventstore/event-store.ts';
import { buildDecider } from '../../../domain/build/index.ts';
import type { Actor } from '../../../domain/shared/metadata.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { readState } from '../../commands/run.ts';

/** Tries to restart a failed build this many times when other writes to its stream come in between. */
const restartTries = 3;

/**
 * Restarts the build of `drvPath` if it has failed, at the revision its failure was read at. Another
 * write in between (a late log, the farm's own restart of a build whose failed dependency was restarted
 * just before) makes it read the build again: still failed, it is restarted then; queued, building or
 * done again, it was brought back meanwhile (`requeued`). `skipped` when writes kept coming in between.
 */
export async function restartIfFailed(
  store: EventStore,
  drvPath: string,
  why: { readonly why: string },
  actor: Actor,
  requestId: string,
): Promise<'not-failed' | 'requeued' | 'skipped' | { readonly revision: number; readonly position: number }> {
  const stream = streams.build(drvPath);
  for (let attempt = 0; attempt < restartTries; attempt++) {
    const { state, revision } = await readState(store, buildDecider, stream);
    if (state.status !== 'failed') return attempt === 0 ? 'not-failed' : 'requeued';
    const at = new Date().toISOString();
    const command = { type: 'RestartBuild', drvPath, ...why, actor, at } as const;
    try {
      const result = await handleCommand(
        store,
        buildDecider,
        stream,
        command,
        { cause: { kind: 'command', id: requestId }, actor, at },
        { expectedRevision: revision },
      );
      if (result.position === undefined) return 'not-failed';
      return { revision: result.revision, position: result.position };
    } catch (error) {
      if (!isEventStoreError(error, 'TALLY_EVENTSTORE_WRONG_EXPECTED_REVISION')) throw error;
    }
  }
  return 'skipped';
}
