import { createHash } from 'node:crypto';
import { quoteIdentifier } from './schema-name.js';

/** A schema's commit channel: what its listeners LISTEN on and hold, and its writers NOTIFY. */
export interface CommitChannel {
  /** As `pg_notify`'s parameter. */
  name: string;
  /** As a quoted identifier, for `LISTEN` and `NOTIFY`. */
  quoted: string;
  /**
   * The advisory lock key (a positive bigint, as a decimal string) every listener of the channel
   * holds in shared mode on its connection, so that writers can tell whether anyone listens.
   */
  lockKey: string;
}

/**
 * The LISTEN/NOTIFY channel of a schema's commits. A channel is an identifier, cut silently at
 * 63 bytes: a schema name (up to 63 bytes) would not fit beside a prefix, so the channel names a
 * hash of it instead; the lock key is the hash's first 63 bits.
 */
export function commitChannel(schema: string): CommitChannel {
  const hash = createHash('sha256').update(schema).digest();
  const name = `history_commits_${hash.toString('hex').slice(0, 32)}`;
  const lockKey = (hash.readBigUInt64BE(0) >> 1n).toString();
  return { name, quoted: quoteIdentifier(name), lockKey };
}
