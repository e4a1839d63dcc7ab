// Type-checked by tooling/pack-check.mjs in a project where only @history/contract-tests (and
// its peer, vitest) is installed.

import { type ContractSubject, envelope, runHistoryStoreContract } from '@history/contract-tests';
import { createMemoryHistoryStore } from '@history/core';

const subject: ContractSubject = {
  name: 'memory',
  capabilities: { persistent: false },
  setup: async () => ({
    open: async (overrides) => createMemoryHistoryStore(overrides),
    cleanup: async () => {},
  }),
};
runHistoryStoreContract(subject);
envelope(1).id satisfies string;
// @ts-expect-error capabilities are required
runHistoryStoreContract({ name: 'x', setup: subject.setup });
