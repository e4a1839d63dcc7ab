import { createHash } from 'node:crypto';
import { quoteIdentifier } from './schema-name.js';

/**
 * The LISTEN/NOTIFY channel of a schema's commits. A channel is an identifier, cut silently at
 * 63 bytes: a schema name (up to 63 bytes) would not fit beside a prefix, so the channel names a
 * hash of it instead. `quoted` for `LISTEN`; `name` as `pg_notify`'s parameter.
 */
export function commitChannel(schema: string): { name: string; quoted: string } {
  const name = `history_commits_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
  return { name, quoted: quoteIdentifier(name) };
}
