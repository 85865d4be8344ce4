/**
 * The id of an evaluation the poller requests: derived from the specification, the commits and which
 * registration of the specification's name it is, so a poll repeated after a crash asks for the same
 * evaluation (the store refuses it twice) rather than a second one, while a name removed and registered
 * again is a new specification whose commits are evaluated anew. The first registration adds nothing to
 * the key, so ids of specifications never registered twice are those they always were.
 *
 * Heads set back to commits evaluated before (a force-push undone, a branch changed and changed back)
 * are evaluated again: their id then adds the ordinal of the detection that set them back (`setBack`),
 * which a retried poll finds the same.
 */
import { createHash } from 'node:crypto';
import type { Checkout } from '../../../domain/checkout/checkout.ts';

export function pollEvaluationId(
  spec: string,
  checkouts: readonly Checkout[],
  registration = 1,
  setBack?: number,
): string {
  const key = checkouts.map((c) => `${c.channel}\0${c.branch}\0${c.commit}`).join('\n');
  const again = registration > 1 ? `\nregistration ${registration}` : '';
  const back = setBack === undefined ? '' : `\nset back at detection ${setBack}`;
  return `${spec}-${createHash('sha256').update(`${spec}\n${key}${again}${back}`).digest('hex').slice(0, 16)}`;
}
