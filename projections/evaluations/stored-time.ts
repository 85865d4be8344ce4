/**
 * Times as read models keep them: epoch milliseconds (a number costs a third of its ISO text), turned
 * back into the very text the event carried when a query answers. A time whose text is not what
 * `toISOString` writes (an offset, no milliseconds) is kept as that text, so answers never change.
 */
import type { IsoTime } from '../../domain/shared/time.ts';

/** Epoch milliseconds, or the ISO text itself when milliseconds would not give it back. */
export type StoredTime = number | IsoTime;

/** `time` as a read model keeps it. */
export function storedTime(time: IsoTime): StoredTime {
  if (time.length !== 24) return time;
  const ms = Date.parse(time);
  return Number.isFinite(ms) && new Date(ms).toISOString() === time ? ms : time;
}

/** The ISO text of a kept time, as the event gave it. */
export function isoTime(time: StoredTime): IsoTime {
  return typeof time === 'number' ? new Date(time).toISOString() : time;
}

/** Epoch milliseconds of a kept time. */
export function epochMsOf(time: StoredTime): number {
  return typeof time === 'number' ? time : Date.parse(time);
}
