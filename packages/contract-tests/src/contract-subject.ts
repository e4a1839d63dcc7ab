import type { HistoryStore, StoreOptions } from '@history/core';

/** One isolated piece of backing storage (a temp dir, a database file, a schema). */
export interface ContractFixture {
  /**
   * Opens a store on this fixture's storage. May be called again after the
   * previous store was closed, to test persistence. `overrides` are common
   * store options (limits, backpressure, metrics) the suite needs to set.
   */
  open(overrides?: StoreOptions): Promise<HistoryStore>;
  /** Removes the storage. Called once per test, after every store was closed. */
  cleanup(): Promise<void>;
}

export interface ContractCapabilities {
  /** Data survives `close()` and a new `open()` on the same fixture. */
  persistent: boolean;
  /** Two stores may be open on the fixture's storage at once (the file store locks its root). */
  sharedStorage?: boolean;
}

export interface ContractSubject {
  /** Adapter name, used in test titles. */
  name: string;
  /** Creates fresh, empty storage for one test. */
  setup(): Promise<ContractFixture>;
  capabilities: ContractCapabilities;
  /** Per-test timeout in ms for the heavier tests (concurrency). Default 60 s. */
  slowTestTimeoutMs?: number;
}
