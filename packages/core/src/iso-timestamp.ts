// Date.parse alone accepts 2025-02-30 (rolls over) and offset-less local times; be strict instead.
// Hand-parsed rather than a regex plus Date.parse: this runs once per appended event.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number of `length` ASCII digits at `at`, or -1. */
function digits(value: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The instants every adapter can store: years 0001 to 9999 in UTC. PostgreSQL has
 * no year 0, and `Date#toISOString` writes years past 9999 with a sign no store reads.
 */
export const MIN_INSTANT_MS = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
export const MAX_INSTANT_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/**
 * Milliseconds since the epoch of an ISO-8601 timestamp with offset
 * (`YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM)`), or `undefined` if it is not
 * one or its instant falls outside years 0001-9999 UTC (an offset can move it
 * there). Fractions beyond milliseconds are truncated, as `Date.parse` does.
 */
export function parseIsoTimestamp(value: string): number | undefined {
  const length = value.length;
  if (length < 17 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return undefined;
  if (value.charCodeAt(10) !== 84 || value.charCodeAt(13) !== 58) return undefined; // T, :
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return undefined;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (value.charCodeAt(i) === 58 /* : */) {
    second = digits(value, i + 1, 2);
    if (second < 0 || second > 59) return undefined;
    i += 3;
    if (value.charCodeAt(i) === 46 /* . */) {
      const start = ++i;
      while (i < length && i - start < 9) {
        const c = value.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (i - start < 3) ms = ms * 10 + c;
        i++;
      }
      const count = i - start;
      if (count === 0) return undefined;
      for (let k = count; k < 3; k++) ms *= 10;
    }
  }
  let offsetMinutes = 0;
  const sign = value.charCodeAt(i);
  if (sign === 90 /* Z */) {
    if (i + 1 !== length) return undefined;
  } else if (sign === 43 /* + */ || sign === 45 /* - */) {
    if (i + 6 !== length || value.charCodeAt(i + 3) !== 58) return undefined;
    const oh = digits(value, i + 1, 2);
    const om = digits(value, i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMinutes = (sign === 43 ? 1 : -1) * (oh * 60 + om);
  } else {
    return undefined;
  }
  const minutes = (daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes;
  const instant = (minutes * 60 + second) * 1000 + ms;
  return instant < MIN_INSTANT_MS || instant > MAX_INSTANT_MS ? undefined : instant;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}
