/**
 * What the dispatcher records when an attempt ends: success, a failure of the build itself (never
 * retried: it would fail the same way), or a failure of the farm (retried with backoff while the
 * specification's retries last, then recorded as a failure).
 */
import type { FailureReason } from '../../../domain/build/build.ts';
import type { AttemptOutcome } from '../../workers/worker-link.ts';

export type AttemptVerdict =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly reason: FailureReason; readonly message: string }
  | { readonly kind: 'retry'; readonly detail: string }
  /** Cancelled on our side (a person's cancel is already recorded; a shutdown is requeued at start). */
  | { readonly kind: 'nothing' };

export function verdictOf(outcome: AttemptOutcome, retriesLeft: boolean): AttemptVerdict {
  if (outcome.ok) return { kind: 'succeeded' };
  const message = outcome.message;
  switch (outcome.reason) {
    case 'exit-code':
      return { kind: 'failed', reason: { kind: 'exit-code', exitCode: outcome.exitCode }, message };
    case 'signal':
      return { kind: 'failed', reason: { kind: 'signal', signal: outcome.signal }, message };
    case 'timed-out':
      return { kind: 'failed', reason: { kind: 'timed-out' }, message };
    case 'silent-too-long':
      return { kind: 'failed', reason: { kind: 'silent-too-long' }, message };
    case 'log-too-large':
      return {
        kind: 'failed',
        reason: { kind: 'output-rejected', detail: 'the build wrote more log than allowed' },
        message,
      };
    case 'output-rejected':
      return { kind: 'failed', reason: { kind: 'output-rejected', detail: outcome.detail }, message };
    case 'cancelled':
      return { kind: 'nothing' };
    case 'infrastructure':
      return retriesLeft
        ? { kind: 'retry', detail: outcome.detail }
        : { kind: 'failed', reason: { kind: 'infrastructure', detail: outcome.detail }, message };
  }
}

/** Exponential backoff after the n-th transient failure (0-based): 5 s, 10 s, 20 s… capped at 10 minutes. */
export function backoffMs(retriesSoFar: number, baseMs = 5_000): number {
  return Math.min(baseMs * 2 ** retriesSoFar, 10 * 60_000);
}
