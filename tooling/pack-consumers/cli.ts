// Type-checked by tooling/pack-check.mjs in a project where @history/cli (and @history/file) is installed.
import { EXIT, type OpenedStore, openStore, parseStoreUrl, type StoreLocation } from '@history/cli';

const location: StoreLocation = parseStoreUrl('sqlite:./history.db');
if (location.kind === 'sqlite') location.filename satisfies string;
const opened: OpenedStore = await openStore('file:./history', { mode: 'read' });
for await (const session of opened.store.listSessions({ limit: 10 }))
  session.eventCount satisfies number;
await opened.close();
EXIT.interrupted satisfies 130;
// @ts-expect-error the open modes are typed, not `any`
await openStore(location, { mode: 'sometimes' });
