/**
 * Times in the domain are ISO 8601 strings that arrive inside commands; the domain never reads a
 * clock. Only UTC (`Z`) or explicit offsets are accepted, so two readings of one string agree.
 */

/** An ISO 8601 time with date, time and zone, e.g. `2024-05-01T12:00:00.000Z`. */
export type IsoTime = string;

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** True for a well-formed ISO time that names a real instant. */
export function isIsoTime(value: unknown): value is IsoTime {
  return typeof value === 'string' && isoPattern.test(value) && !Number.isNaN(Date.parse(value));
}

/** Milliseconds since the epoch of an ISO time (a pure parse, not a clock). */
export function epochMs(time: IsoTime): number {
  return Date.parse(time);
}

/** Milliseconds from `from` to `to`; never negative, so clock skew between hosts reads as zero. */
export function durationMs(from: IsoTime, to: IsoTime): number {
  return Math.max(0, epochMs(to) - epochMs(from));
}

/** True when `time` is at or after `other`. */
export function isAtOrAfter(time: IsoTime, other: IsoTime): boolean {
  return epochMs(time) >= epochMs(other);
}
