import { randomBytes } from 'node:crypto';
import type { Envelope, HistoryRange } from '@history/core';
import { type NormalizedRange, normalizeRange, type StoredRecord } from '@history/core/backend';
import { expect } from 'vitest';
import { envelope } from './harness.js';

/**
 * `count` envelopes of session `s1`, ids from the `start`-th, each about 800 KiB of JSON
 * that does not compress (PostgreSQL stores it out of line): larger than a few fit in one
 * default page budget.
 */
export function largeEnvelopes(count: number, start = 1): Envelope[] {
  return Array.from({ length: count }, (_, k) =>
    envelope(start + k, { payload: { text: randomBytes(600 * 1024).toString('base64') } }),
  );
}

/** The documented default page budget, 4 MiB (core's `DEFAULT_PAGE_BYTES`). */
export const DEFAULT_PAGE_BUDGET = 4 * 1024 * 1024;

/** Every page a backend's `readPages` yields, read to the end. */
export async function collectPages(
  pages: AsyncIterable<readonly StoredRecord[]>,
): Promise<(readonly StoredRecord[])[]> {
  const out: (readonly StoredRecord[])[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

export interface PageBudget {
  /** The byte budget of a page the backend was given (envelope JSON, `json.length`). */
  pageBytes: number;
  /**
   * Its count limit. When given, every page but the last must also end no earlier than
   * it has to: at `pageSize` records, or before a record that would not have fitted.
   */
  pageSize?: number;
}

const jsonBytes = (page: readonly StoredRecord[]) =>
  page.reduce((sum, record) => sum + record.json.length, 0);

/**
 * What is wrong with a backend's pages under its byte budget, one line each (an empty
 * list when nothing is): a page holds at most `pageBytes` of envelope JSON unless it is
 * a single record, and is never empty.
 */
export function pageBudgetProblems(
  pages: readonly (readonly StoredRecord[])[],
  { pageBytes, pageSize }: PageBudget,
): string[] {
  const problems: string[] = [];
  pages.forEach((page, i) => {
    const bytes = jsonBytes(page);
    if (page.length === 0) problems.push(`page ${i} is empty`);
    if (page.length > 1 && bytes > pageBytes) {
      problems.push(`page ${i}: ${page.length} records, ${bytes} bytes > ${pageBytes}`);
    }
    const next = pages[i + 1]?.[0];
    if (pageSize !== undefined && next && page.length < pageSize) {
      if (bytes + next.json.length <= pageBytes) {
        problems.push(`page ${i} ends at ${bytes} bytes, before a record of ${next.json.length}`);
      }
    }
  });
  return problems;
}

/** Envelope JSON sizes `pagedEnvelopes` cycles through; one record is larger than the budget. */
const PAYLOAD_CHARS = [300, 2500, 900, 4100, 60, 1700, 3300];
const PAGED_COUNT = 60;
const OVERSIZED = 30;

/** The byte budget `expectPagedRanges` expects the backend to have been given. */
export const PAGED_RANGE_BYTES = 8000;

/**
 * 60 envelopes of session `s1` whose JSON varies from about 0.2 to 4.5 KB, the 30th being
 * 10 KB: under `PAGED_RANGE_BYTES` pages hold one to a few records, one holds only the 30th.
 */
export function pagedEnvelopes(): Envelope[] {
  return Array.from({ length: PAGED_COUNT }, (_, k) => {
    const i = k + 1;
    const chars = i === OVERSIZED ? 10_000 : PAYLOAD_CHARS[k % PAYLOAD_CHARS.length]!;
    return envelope(i, { payload: { i, text: 'x'.repeat(chars) } });
  });
}

/**
 * Reads a session holding `pagedEnvelopes()` (appended in order to a fresh session, so
 * seq i is the i-th) in every shape of range (after, limit, both, time bounds, forward and
 * backward) through `read`, which must call the backend's `readPages` with a budget of
 * `PAGED_RANGE_BYTES`, and expects each range's records, intact and in order, in pages
 * that keep the budget and end no earlier than they must (`pageSize`: the backend's count
 * limit, never reached here).
 */
export async function expectPagedRanges(
  read: (range: NormalizedRange) => AsyncIterable<readonly StoredRecord[]>,
  pageSize: number,
): Promise<void> {
  const appended = pagedEnvelopes();
  const at = (i: number) => appended[i - 1]!.occurredAt;
  const seqs = (from: number, to: number) => {
    const out: number[] = [];
    for (let s = from; from <= to ? s <= to : s >= to; s += from <= to ? 1 : -1) out.push(s);
    return out;
  };
  const cases: [HistoryRange, number[]][] = [
    [{}, seqs(1, 60)],
    [{ after: 17 }, seqs(18, 60)],
    [{ limit: 23 }, seqs(1, 23)],
    [{ after: 17, limit: 9 }, seqs(18, 26)],
    [{ after: 28, limit: 4 }, seqs(29, 32)],
    [{ from: at(10), to: at(45) }, seqs(10, 45)],
    [{ direction: 'backward' }, seqs(60, 1)],
    [{ direction: 'backward', after: 40 }, seqs(39, 1)],
    [{ direction: 'backward', limit: 13 }, seqs(60, 48)],
    [{ direction: 'backward', after: 40, limit: 7 }, seqs(39, 33)],
    [{ direction: 'backward', from: at(10), to: at(45), limit: 20 }, seqs(45, 26)],
  ];
  for (const [range, expected] of cases) {
    const pages = await collectPages(read(normalizeRange(range)));
    const records = pages.flat();
    expect(
      records.map((r) => r.seq),
      JSON.stringify(range),
    ).toEqual(expected);
    for (const r of records) {
      expect(r.id).toBe(appended[r.seq - 1]!.id);
      expect(JSON.parse(r.json)).toEqual(appended[r.seq - 1]);
    }
    expect(pageBudgetProblems(pages, { pageBytes: PAGED_RANGE_BYTES, pageSize })).toEqual([]);
  }
}
