import { describe } from 'vitest';
import type { ContractSubject } from './contract-subject.js';
import { useHarness } from './harness.js';
import { appendSuite } from './suites/append.js';
import { badInputSuite } from './suites/bad-input.js';
import { checkpointSuite } from './suites/checkpoints.js';
import { concurrencySuite } from './suites/concurrency.js';
import { conditionalAppendSuite } from './suites/conditional-append.js';
import { deleteSessionSuite } from './suites/delete-session.js';
import { feedSuite } from './suites/feed.js';
import { followSuite } from './suites/follow.js';
import { lifecycleSuite } from './suites/lifecycle.js';
import { orderingSuite } from './suites/ordering.js';
import { persistenceSuite } from './suites/persistence.js';
import { retentionSuite } from './suites/retention.js';
import { sessionsSuite } from './suites/sessions.js';
import { streamingSuite } from './suites/streaming.js';
import { timeRangeSuite } from './suites/time-range.js';

export type { ContractCapabilities, ContractFixture, ContractSubject } from './contract-subject.js';
export { documentedDefaultProblems } from './documented-defaults.js';
export { collect, envelope, envelopes, type Harness, toArray, useHarness } from './harness.js';
export {
  collectPages,
  DEFAULT_PAGE_BUDGET,
  expectPagedRanges,
  largeEnvelopes,
  PAGED_RANGE_BYTES,
  type PageBudget,
  pageBudgetProblems,
  pagedEnvelopes,
} from './page-budget.js';

/**
 * Registers the History Store conformance suite (vitest) for one adapter.
 * Call it at the top level of a test file.
 */
export function runHistoryStoreContract(subject: ContractSubject): void {
  describe(`${subject.name}: HistoryStore contract`, () => {
    const h = useHarness(subject);
    appendSuite(subject, h);
    orderingSuite(subject, h);
    timeRangeSuite(subject, h);
    streamingSuite(subject, h);
    checkpointSuite(subject, h);
    badInputSuite(subject, h);
    concurrencySuite(subject, h);
    lifecycleSuite(subject, h);
    sessionsSuite(subject, h);
    deleteSessionSuite(subject, h);
    retentionSuite(subject, h);
    conditionalAppendSuite(subject, h);
    followSuite(subject, h);
    feedSuite(subject, h);
    if (subject.capabilities.persistent) persistenceSuite(subject, h);
  });
}
