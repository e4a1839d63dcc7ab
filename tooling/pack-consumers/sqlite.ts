// Type-checked by tooling/pack-check.mjs in a project where only @history/sqlite is installed.
import {
  createSqliteHistoryStore,
  type SqliteStoreOptions,
  verifySqliteStore,
} from '@history/sqlite';

const options: SqliteStoreOptions = {
  filename: './history.db',
  durability: 'full',
  maxBatchSize: 100,
};
const store = await createSqliteHistoryStore(options);
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
await createSqliteHistoryStore({ filename: './history.db', durability: 'sometimes' });
// Verification reports come typed, with no other package installed.
const report = await verifySqliteStore({ filename: './history.db', onProgress: (n) => n });
report.events satisfies number;
