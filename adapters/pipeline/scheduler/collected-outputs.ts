/**
 * Builds whose outputs the collector removed, wanted again. A succeeded (or substituted) build is not
 * built again by being wanted: its outputs are taken to be in the store. Once garbage collection has
 * removed them, a new evaluation wanting the derivation, or a build depending on it, would find them
 * missing: the build is restarted (and looked up in caches again) before anything of the evaluation
 * is queued, so that what depends on it waits for it.
 */

import { buildDecider } from '../../../domain/build/index.ts';
import type { Derivation } from '../../../domain/derivation/index.ts';
import type { Cause } from '../../../domain/shared/metadata.ts';
import { streams } from '../../../domain/shared/streams.ts';
import { issue } from '../issue.ts';
import type { SubstituteFinder } from './substitutes.ts';

export interface CollectedOutputsContext {
  readonly events: import('../../eventstore/event-store.ts').EventStore;
  readonly substitutes: SubstituteFinder;
  /** True when the recorded build of `drvPath` ended with outputs (succeeded or substituted). */
  readonly produced: (drvPath: string) => boolean;
}

/**
 * Restarts each build of `closure` that ended with outputs no longer in the store, then takes them
 * from a cache that has them, if one does. Returns the derivations restarted.
 */
export async function restartCollected(
  context: CollectedOutputsContext,
  closure: ReadonlyMap<string, Derivation>,
  evaluationId: string,
  cause: Cause,
): Promise<string[]> {
  const restarted: string[] = [];
  for (const [drvPath, drv] of closure) {
    if (!context.produced(drvPath) || (await context.substitutes.inStore(drv.outputs))) continue;
    const at = new Date().toISOString();
    const why = `its outputs were collected from the store, and evaluation ${evaluationId} wants it again`;
    const restart = { type: 'RestartBuild', drvPath, why, actor: 'scheduler', at } as const;
    const stream = streams.build(drvPath);
    // Refused when the read model was behind (it is queued or running again already): nothing to do.
    const scoped = { scope: evaluationId } as const;
    const result = await issue(context.events, buildDecider, stream, restart, cause, 'scheduler', scoped);
    if (!result.ok || result.events.length === 0) continue;
    restarted.push(drvPath);
    const found = await context.substitutes.find(drvPath, drv);
    if (!found) continue;
    const substitute = {
      type: 'SubstituteBuild',
      drvPath,
      from: found.from,
      outputs: found.outputs,
      actor: 'scheduler',
      at,
    } as const;
    await issue(context.events, buildDecider, stream, substitute, cause, 'scheduler', scoped);
  }
  return restarted;
}
