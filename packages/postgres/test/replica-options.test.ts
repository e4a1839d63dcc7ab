import { readFileSync } from 'node:fs';
import { documentedDefaultProblems } from '@history/contract-tests';
import { InvalidArgumentError } from '@history/core';
import { describe, expect, it } from 'vitest';
import { parseLsn } from '../src/lsn.js';
import { POSTGRES_DEFAULTS, resolvePostgresOptions } from '../src/options.js';
import { REPLICA_DEFAULTS, REPLICA_READS } from '../src/replica-options.js';

// Never connected to: these tests resolve options only.
const url = 'postgres://nobody@127.0.0.1:1/none';
const replicaUrl = 'postgres://nobody@127.0.0.1:2/none';
const pool = { connect() {}, query() {} };

describe('the replica option', () => {
  it('is absent by default, and takes its defaults and the store settings it shares when given', () => {
    expect(resolvePostgresOptions({ connectionString: url }).replica).toBeUndefined();
    expect(
      resolvePostgresOptions({ connectionString: url, replica: { connectionString: replicaUrl } })
        .replica,
    ).toEqual({
      connection: { connectionString: replicaUrl },
      poolSize: POSTGRES_DEFAULTS.poolSize,
      maxWaitMs: REPLICA_DEFAULTS.maxWaitMs,
      consistency: REPLICA_DEFAULTS.consistency,
      reads: new Set(REPLICA_READS),
      connectTimeoutMs: POSTGRES_DEFAULTS.connectTimeoutMs,
    });
  });

  it('keeps what the caller gave', () => {
    const resolved = resolvePostgresOptions({
      connectionString: url,
      poolSize: 3,
      replica: { pool, poolSize: 5, maxWaitMs: 0, consistency: 'strong', reads: ['feed'] },
    });
    expect(resolved.replica).toEqual({
      connection: { pool },
      poolSize: 5,
      maxWaitMs: 0,
      consistency: 'strong',
      reads: new Set(['feed']),
      connectTimeoutMs: POSTGRES_DEFAULTS.connectTimeoutMs,
    });
    // The replica pool's size defaults to the store's.
    expect(
      resolvePostgresOptions({ connectionString: url, poolSize: 3, replica: { pool } }).replica
        ?.poolSize,
    ).toBe(3);
  });

  it("connects within the store's connectTimeoutMs when given, else its own URL's connect_timeout", () => {
    const replica = { connectionString: `${replicaUrl}?connect_timeout=3` };
    expect(
      resolvePostgresOptions({ connectionString: url, replica }).replica?.connectTimeoutMs,
    ).toBe(3000);
    expect(
      resolvePostgresOptions({ connectionString: url, connectTimeoutMs: 50, replica }).replica
        ?.connectTimeoutMs,
    ).toBe(50);
  });

  it.each([
    ['standby', 'options.replica'],
    [null, 'options.replica'],
    [{}, 'options.replica.connectionString'],
    [{ connectionString: '' }, 'options.replica.connectionString'],
    [{ connectionString: replicaUrl, pool }, 'options.replica'],
    [{ pool: {} }, 'options.replica.pool'],
    [
      { connectionString: `${replicaUrl}?connect_timeout=soon` },
      'options.replica.connectionString',
    ],
    [{ connectionString: replicaUrl, poolSize: 0 }, 'options.replica.poolSize'],
    [{ connectionString: replicaUrl, maxWaitMs: -1 }, 'options.replica.maxWaitMs'],
    [{ connectionString: replicaUrl, maxWaitMs: 1.5 }, 'options.replica.maxWaitMs'],
    [{ connectionString: replicaUrl, consistency: 'eventual' }, 'options.replica.consistency'],
    [{ connectionString: replicaUrl, reads: 'stream' }, 'options.replica.reads'],
    [{ connectionString: replicaUrl, reads: ['stream', 'append'] }, 'options.replica.reads[1]'],
    // The store's common options have no place here.
    [{ connectionString: replicaUrl, retries: 1 }, 'options.replica.retries'],
  ])('refuses replica %j naming %s', (replica, field) => {
    let error: unknown;
    try {
      resolvePostgresOptions({ connectionString: url, replica });
    } catch (e) {
      error = e;
    }
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ field });
  });

  it('has the defaults the README states', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Read replicas'));
    const table = section
      .slice(0, section.indexOf('\n## '))
      .replaceAll(/`replica\.(\w+)`/g, '`$1`');
    expect(documentedDefaultProblems(table, REPLICA_DEFAULTS)).toEqual([]);
    expect(documentedDefaultProblems(table, { reads: 'all' }, { reads: 'all four' })).toEqual([]);
  });
});

describe('parseLsn', () => {
  it('orders WAL positions as the server does', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/3016060')).toBe(0x3016060n);
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(parseLsn('A/FFFFFFFF') < parseLsn('B/0')).toBe(true);
    expect(parseLsn('0/FFFFFFFF') < parseLsn('1/1')).toBe(true);
  });
});
