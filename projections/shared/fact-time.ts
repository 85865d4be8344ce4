/**
 * When an event's fact happened: the `at` of its metadata (when it happened, as the command said), or
 * when the store recorded it if the metadata carries no readable time (an event written by another
 * program). Never the wall clock, so a replay folds to the same state. One form per use: the text as
 * the event said it, the stored form (see stored-time.ts), or epoch milliseconds for arithmetic.
 */
import type { IsoTime } from '../../domain/shared/time.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';
import { canonicalIsoMs, type StoredTime, storedTime } from './stored-time.ts';

type Projected = ProjectedEvent<{ readonly type: string }>;

/** The fact's time as the event wrote it. */
export function factText(projected: Projected): IsoTime {
  const at = projected.metadata.at;
  return typeof at === 'string' ? at : projected.recordedAt.toISOString();
}

/** The fact's time as read models store times. */
export function factStored(projected: Projected): StoredTime {
  const at = projected.metadata.at;
  return typeof at === 'string' ? storedTime(at) : projected.recordedAt.getTime();
}

/** The fact's time in epoch milliseconds; the recorded time when the text is no time at all. */
export function factMs(projected: Projected): number {
  const at = projected.metadata.at;
  if (typeof at === 'string') {
    // The usual `toISOString` text is read digit by digit, several times faster than Date.parse.
    const ms = canonicalIsoMs(at) ?? Date.parse(at);
    if (!Number.isNaN(ms)) return ms;
  }
  return projected.recordedAt.getTime();
}
