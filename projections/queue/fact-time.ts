/**
 * When an event's fact happened, in epoch milliseconds: `metadata.at` as the command said, or when the
 * store recorded it if the metadata carries no readable time (an event written by another program).
 * Never the wall clock, so a replay folds to the same state.
 */

import type { ProjectedEvent } from '../runtime/projection.ts';
import { canonicalIsoMs } from '../shared/stored-time.ts';

export function factTime(projected: ProjectedEvent<{ readonly type: string }>): number {
  const at = projected.metadata.at;
  if (typeof at === 'string') {
    // The usual `toISOString` text is read digit by digit, several times faster than Date.parse.
    const ms = canonicalIsoMs(at) ?? Date.parse(at);
    if (!Number.isNaN(ms)) return ms;
  }
  return projected.recordedAt.getTime();
}

/** Epoch milliseconds of an ISO time or a number (for queries that take `now`). */
export function toMs(time: string | number): number {
  return typeof time === 'number' ? time : Date.parse(time);
}

/** The ISO form of epoch milliseconds. */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
