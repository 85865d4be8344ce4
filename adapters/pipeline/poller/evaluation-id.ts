/**
 * The id of an evaluation the poller requests: derived from the specification and the commits, so a
 * poll repeated after a crash asks for the same evaluation (the store refuses it twice) rather than a
 * second one.
 */
import { createHash } from 'node:crypto';
import type { Checkout } from '../../../domain/checkout/checkout.ts';

export function pollEvaluationId(spec: string, checkouts: readonly Checkout[]): string {
  const key = checkouts.map((c) => `${c.channel}\0${c.branch}\0${c.commit}`).join('\n');
  return `${spec}-${createHash('sha256').update(`${spec}\n${key}`).digest('hex').slice(0, 16)}`;
}
