/**
 * Times as the read models keep them: epoch milliseconds (a number costs 16 bytes in V8, an ISO
 * string about 40), turned back into the very same ISO text by the queries. A time whose text would
 * not come back identical (`…T12:00:00Z`, an offset, a date such as 02-30 that `Date.parse`
 * accepts) is kept as its text.
 */

/** A time as stored: epoch milliseconds, or the ISO text itself when milliseconds would not give it back. */
export type StoredTime = number | string;

const zero = 48;

/** The value of the `length` decimal digits at `start`, or -1 when one of them is not a digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - zero;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Epoch milliseconds of `YYYY-MM-DDTHH:mm:ss.sssZ` with every field in range (exactly the texts
 * that `toISOString` writes for years 100–9999), or `undefined` for any other text. Reads the digits
 * itself: `Date.parse` and `toISOString` to check it cost about ten times as much.
 */
export function canonicalIsoMs(text: string): number | undefined {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':')
    return undefined;
  if (text[19] !== '.') return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
  // Date.UTC reads years 0–99 as 1900–1999: such times stay text.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0)
    return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** The stored form of an ISO time. */
export function storedTime(iso: string): StoredTime {
  return canonicalIsoMs(iso) ?? iso;
}

/** The stored form of an ISO time that may be absent. */
export function storedTimeOrNone(iso: string | undefined): StoredTime | undefined {
  return iso === undefined ? undefined : storedTime(iso);
}

const dayMs = 86_400_000;
const twoDigits = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const threeDigits = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
/** `YYYY-MM-DDT` by day since the epoch: the times a page of builds shows fall on few days. */
let dayPrefixes = new Map<number, string>();

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const iso = new Date(day * dayMs).toISOString();
    prefix = iso.slice(0, iso.indexOf('T') + 1);
    if (dayPrefixes.size >= 4096) dayPrefixes = new Map();
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/**
 * The ISO text a stored time was made from: what `toISOString` writes, a page of 50 builds' times
 * at a time without a `Date` each (those made a tenth of the builds list's cost).
 */
export function isoOf(time: StoredTime): string {
  if (typeof time !== 'number') return time;
  if (!Number.isInteger(time)) return new Date(time).toISOString();
  const day = Math.floor(time / dayMs);
  let rest = time - day * dayMs;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${dayPrefix(day)}${twoDigits[hours]}:${twoDigits[minutes]}:${twoDigits[seconds]}.${threeDigits[rest - seconds * 1000]}Z`;
}

/** The ISO text of a stored time that may be absent. */
export function isoOrNone(time: StoredTime | undefined): string | undefined {
  return time === undefined ? undefined : isoOf(time);
}

/** Epoch milliseconds of a stored time. */
export function msOf(time: StoredTime): number {
  return typeof time === 'number' ? time : Date.parse(time);
}
