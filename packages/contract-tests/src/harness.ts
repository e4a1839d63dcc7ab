import type { Envelope, HistoryRecord, HistoryStore, StoreOptions } from '@history/core';
import { afterEach, beforeEach } from 'vitest';
import type { ContractFixture, ContractSubject } from './contract-subject.js';

/** Opens stores on a fresh fixture per test and closes and cleans up after it. */
export interface Harness {
  open(overrides?: StoreOptions): Promise<HistoryStore>;
  /** A store following what one opened by `open` writes (see `ContractFixture.openFollower`). */
  openFollower(overrides?: StoreOptions): Promise<HistoryStore>;
  /** Closes a store opened by `open` (so the next `open` sees its data). */
  close(store: HistoryStore): Promise<void>;
}

export function useHarness(subject: ContractSubject): Harness {
  let fixture: ContractFixture | undefined;
  const opened = new Set<HistoryStore>();
  beforeEach(async () => {
    fixture = await subject.setup();
  });
  afterEach(async () => {
    for (const store of opened) await store.close().catch(() => {});
    opened.clear();
    await fixture?.cleanup();
    fixture = undefined;
  });
  return {
    async open(overrides) {
      if (!fixture) throw new Error('open() called outside a test');
      const store = await fixture.open(overrides);
      opened.add(store);
      return store;
    },
    async openFollower(overrides) {
      if (!fixture) throw new Error('openFollower() called outside a test');
      const store = await (fixture.openFollower ?? fixture.open)(overrides);
      opened.add(store);
      return store;
    },
    async close(store) {
      opened.delete(store);
      await store.close();
    },
  };
}

const BASE_TIME = Date.UTC(2025, 0, 1, 12, 0, 0);

/** A valid envelope; `i` makes the id and time unique and ordered. */
export function envelope(i: number, overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: `evt-${i}`,
    type: i % 3 === 0 ? 'user' : i % 3 === 1 ? 'assistant' : 'tool',
    payload: { i, text: `message ${i}` },
    occurredAt: new Date(BASE_TIME + i * 1000).toISOString(),
    sessionId: 's1',
    ...overrides,
  };
}

export function envelopes(count: number, overrides: Partial<Envelope> = {}, start = 1): Envelope[] {
  return Array.from({ length: count }, (_, k) => envelope(start + k, overrides));
}

/** Every item of an async iterable (a stream, a session listing), in order. */
export async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Reads a whole stream; a synchronous throw from `make` becomes a rejection. */
export async function collect(make: () => AsyncIterable<HistoryRecord>): Promise<HistoryRecord[]> {
  return toArray(make());
}

export async function seqs(make: () => AsyncIterable<HistoryRecord>): Promise<number[]> {
  return (await collect(make)).map((r) => r.seq);
}

export async function ids(make: () => AsyncIterable<HistoryRecord>): Promise<string[]> {
  return (await collect(make)).map((r) => r.id);
}
