/**
 * Times in the domain are ISO 8601 strings that arrive inside commands; the domain never reads a
 * clock. Only UTC (`Z`) or explicit offsets are accepted, so two readings of one string agree.
 */

/** An ISO 8601 time with date, time and zone, e.g. `2024-05-01T12:00:00.000Z`. */
export type IsoTime = string;

const isoPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * True for a well-formed ISO time that names a real instant. `Date.parse` alone is not enough: it
 * rolls `2024-02-31` over to 2 March and reads hour 24 as the next day's midnight, so two programs
 * could read one string as different instants.
 */
export function isIsoTime(value: unknown): value is IsoTime {
  if (typeof value !== 'string') return false;
  const parts = isoPattern.exec(value);
  if (!parts || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day, hour] = parts.slice(1, 5).map(Number) as [number, number, number, number];
  return hour < 24 && day >= 1 && day <= daysInMonth(year, month);
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year`, by the proleptic Gregorian calendar ISO 8601 uses; 0 for no month. */
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (monthDays[month - 1] ?? 0);
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
