// Type-checked by tooling/pack-check.mjs in a project where only @history/file is installed.
import {
  createFileHistoryStore,
  type FileHistoryStoreOptions,
  verifyFileStore,
} from '@history/file';

const options: FileHistoryStoreOptions = {
  root: './history',
  durability: 'fsync',
  maxBatchSize: 100,
};
const store = await createFileHistoryStore(options);
const appended = await store.append({
  id: 'e1',
  type: 'message',
  payload: {},
  occurredAt: '2025-01-01T00:00:00Z',
});
appended.seq satisfies number;
for await (const record of store.stream('s1', { limit: 10 })) record.envelope.id satisfies string;
await store.close();
// @ts-expect-error the durability modes are typed, not `any`
await createFileHistoryStore({ root: './history', durability: 'sometimes' });
// Verification reports come typed, with no other package installed.
const report = await verifyFileStore({ root: './history', maxProblems: 10 });
report.problems[0]?.location satisfies string | undefined;
