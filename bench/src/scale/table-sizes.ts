import type pg from 'pg';
import type { TableSizes } from './scale-result.js';

/**
 * The storage-holding relations of a table or index: its partitions' (leaves of its
 * partition tree), or itself when it is not partitioned (`pg_partition_tree` gives no row then).
 */
const leaves = (rel: string) => `(
  SELECT relid FROM pg_partition_tree(${rel}) WHERE isleaf
  UNION ALL
  SELECT ${rel} WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(${rel}))
)`;

/**
 * Sizes of `events`, every partition included, and of `sessions`, in the schema `schema`
 * (a plain `[a-z0-9_]` name, quoted anyway).
 */
export async function tableSizes(client: pg.Client, schema: string): Promise<TableSizes> {
  const events = `"${schema}".events`;
  const sessions = `"${schema}".sessions`;
  const { rows: totals } = await client.query<{
    heap: string;
    table: string;
    total: string;
    sessions: string;
    stored: string | null;
    partitions: string;
  }>(
    `SELECT sum(pg_relation_size(t.relid)) AS heap,
            sum(pg_table_size(t.relid)) AS table,
            sum(pg_total_relation_size(t.relid)) AS total,
            pg_total_relation_size($2::regclass) AS sessions,
            (SELECT sum(event_count) FROM ${sessions}) AS stored,
            (SELECT count(*) FROM pg_partition_tree($1::regclass) WHERE isleaf) AS partitions
       FROM ${leaves('$1::regclass')} t`,
    [events, sessions],
  );
  const { rows: indexes } = await client.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name,
            (SELECT sum(pg_relation_size(t.relid)) FROM ${leaves('i.indexrelid::regclass')} t) AS bytes
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1::regclass
      ORDER BY c.relname`,
    [events],
  );
  const row = totals[0]!;
  return {
    eventsPartitions: Number(row.partitions),
    eventsHeapBytes: Number(row.heap),
    eventsToastBytes: Number(row.table) - Number(row.heap),
    eventsIndexBytes: Object.fromEntries(indexes.map((i) => [i.name, Number(i.bytes)])),
    eventsTotalBytes: Number(row.total),
    sessionsTotalBytes: Number(row.sessions),
    storedEvents: Number(row.stored ?? 0),
  };
}
