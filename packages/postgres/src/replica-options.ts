import { InvalidArgumentError } from '@history/core';
import { type OptionRule, optionRule } from '@history/core/backend';
import type pg from 'pg';
import type { PostgresConnection } from './pg-connection.js';

/** The reads a replica may serve (with their `follow` rounds). */
export const REPLICA_READS = ['stream', 'feed', 'listSessions', 'getSession'] as const;
export type ReplicaRead = (typeof REPLICA_READS)[number];

/**
 * Which of the caller's completed writes a replica read must see. `'own-writes'`: every write
 * of this store (appends, deletes, purges) resolved before the read began, and every commit a
 * NOTIFY woke a follower for. `'strong'`: every commit on the primary, by any process, before
 * the read began (one more primary round trip per read).
 */
export type ReplicaConsistency = 'own-writes' | 'strong';

/** The `replica` option: a hot standby of the primary serving reads (see README "Read replicas"). */
export type PostgresReplicaOptions = (
  | { connectionString: string; pool?: undefined }
  | { pool: pg.Pool; connectionString?: undefined }
) & {
  /** Size of the replica pool the store creates from `connectionString`. Default: the store's `poolSize`. */
  poolSize?: number;
  /**
   * Most milliseconds a read waits for the replica to replay a write it must see before it
   * reads the primary instead. Default 2000.
   */
  maxWaitMs?: number;
  /** Default `'own-writes'`. */
  consistency?: ReplicaConsistency;
  /** The reads sent to the replica; the others read the primary. Default: all four. */
  reads?: readonly ReplicaRead[];
};

export const REPLICA_DEFAULTS = {
  maxWaitMs: 2000,
  consistency: 'own-writes',
} as const satisfies Partial<PostgresReplicaOptions>;

/** The `replica` option validated, with its defaults (`poolSize` absent: the store's). */
export interface ReplicaOptionValue {
  connection: PostgresConnection;
  poolSize: number | undefined;
  maxWaitMs: number;
  consistency: ReplicaConsistency;
  reads: ReadonlySet<ReplicaRead>;
}

/** With the settings it takes from the store's options. */
export interface ResolvedReplicaOptions extends ReplicaOptionValue {
  poolSize: number;
  /** The store's `connectTimeoutMs` when given, else the replica URL's `connect_timeout`, else the default. */
  connectTimeoutMs: number;
}

const KEYS = ['connectionString', 'pool', 'poolSize', 'maxWaitMs', 'consistency', 'reads'];

/**
 * Validates the `replica` option; `resolveConnection` checks its `connectionString` or `pool`
 * as the store's own. Unknown keys are refused (the store's common options have no place here).
 */
export function replicaOptionRule(
  resolveConnection: (value: unknown, field: string) => PostgresConnection,
): OptionRule<ReplicaOptionValue> {
  return (value, field) => {
    const connection = resolveConnection(value, field);
    const given = value as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      if (!KEYS.includes(key)) throw new InvalidArgumentError(`${field}.${key}`, 'unknown option');
    }
    const { poolSize, maxWaitMs, consistency, reads } = given;
    return {
      connection,
      poolSize: optionRule.optional(optionRule.integer(1))(poolSize, `${field}.poolSize`),
      maxWaitMs:
        maxWaitMs === undefined
          ? REPLICA_DEFAULTS.maxWaitMs
          : optionRule.integer(0)(maxWaitMs, `${field}.maxWaitMs`),
      consistency:
        consistency === undefined
          ? REPLICA_DEFAULTS.consistency
          : optionRule.oneOf('own-writes', 'strong')(consistency, `${field}.consistency`),
      reads: new Set(reads === undefined ? REPLICA_READS : readList(reads, `${field}.reads`)),
    };
  };
}

function readList(value: unknown, field: string): ReplicaRead[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(field, `expected an array of ${REPLICA_READS.join(', ')}`);
  }
  const read = optionRule.oneOf(...REPLICA_READS);
  return value.map((v, i) => read(v, `${field}[${i}]`));
}
