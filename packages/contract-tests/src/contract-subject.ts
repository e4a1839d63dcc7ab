import type { HistoryStore, StoreOptions } from '@history/core';

/** One isolated piece of backing storage (a temp dir, a database file, a schema). */
export interface ContractFixture {
  /**
   * Opens a store on this fixture's storage. May be called again after the
   * previous store was closed, to test persistence. `overrides` are common
   * store options (limits, backpressure, metrics) the suite needs to set.
   */
  open(overrides?: StoreOptions): Promise<HistoryStore>;
  /**
   * Opens a second store on the same storage while one opened by `open` writes to it, to read
   * and follow what that one commits (as a process of its own would): for adapters whose
   * storage takes one writer, their read-only open. Only with `sharedStorage`; `open` when
   * absent.
   */
  openFollower?(overrides?: StoreOptions): Promise<HistoryStore>;
  /** Removes the storage. Called once per test, after every store was closed. */
  cleanup(): Promise<void>;
}

export interface ContractCapabilities {
  /** Data survives `close()` and a new `open()` on the same fixture. */
  persistent: boolean;
  /**
   * A second store may be open on the fixture's storage beside a writing one, and sees what it
   * commits (`ContractFixture.openFollower`).
   */
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
