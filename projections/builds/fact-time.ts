/**
 * The time of an event's fact: the `at` of its metadata (when it happened, as the command said), or
 * when the store recorded it for events written without one.
 */
import type { IsoTime } from '../../domain/shared/time.ts';
import type { ProjectedEvent } from '../runtime/projection.ts';

export function factTime(projected: ProjectedEvent<{ readonly type: string }>): IsoTime {
  const at = projected.metadata.at;
  return typeof at === 'string' ? at : projected.recordedAt.toISOString();
}
