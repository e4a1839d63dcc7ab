import { readFileSync } from 'node:fs';
import { documentedDefaultProblems } from '@history/contract-tests';
import { InvalidArgumentError } from '@history/core';
import { DEFAULT_STORE_OPTIONS } from '@history/core/backend';
import { describe, expect, it } from 'vitest';
import {
  POSTGRES_DEFAULTS,
  resolveMigrateOptions,
  resolvePostgresOptions,
  resolvePostgresStoreOptions,
} from '../src/options.js';

// Never connected to: these tests resolve options only.
const url = 'postgres://nobody@127.0.0.1:1/none';
const pool = { connect() {}, query() {} };

describe('postgres options defaults', () => {
  it('applies every default when its option is absent', () => {
    const { maxBatchSize, maxConcurrentBatches, ...adapter } = POSTGRES_DEFAULTS;
    expect(resolvePostgresOptions({ connectionString: url })).toEqual({
      ...adapter,
      connectionString: url,
      pool: undefined,
      connection: { connectionString: url },
    });
    expect(resolvePostgresStoreOptions({ connectionString: url })).toEqual({
      ...DEFAULT_STORE_OPTIONS,
      maxBatchSize,
      maxConcurrentBatches,
    });
    expect(resolveMigrateOptions({ connectionString: url }, {})).toEqual({
      schema: adapter.schema,
      partitions: adapter.partitions,
      connectTimeoutMs: adapter.connectTimeoutMs,
    });
  });

  it('keeps what the caller gave over each default', () => {
    const given = {
      schema: 'h2',
      migrate: false,
      copyThreshold: 1,
      pageSize: 1,
      pageBytes: 1,
      poolSize: 1,
      partitions: 1024,
      connectTimeoutMs: 0,
      poolMode: 'transaction',
      listenConnectionString: url,
    };
    expect(resolvePostgresOptions({ pool, ...given })).toMatchObject({
      ...given,
      connection: { pool },
    });
    const common = { maxBatchSize: 1, maxConcurrentBatches: 64 };
    expect(resolvePostgresStoreOptions({ pool, ...common })).toMatchObject(common);
  });

  it('are the defaults the README states', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(POSTGRES_DEFAULTS.copyThreshold).toBe(Number.POSITIVE_INFINITY);
    expect(documentedDefaultProblems(readme, POSTGRES_DEFAULTS, { copyThreshold: 'off' })).toEqual(
      [],
    );
  });
});

describe('postgres options validation', () => {
  it.each([
    [null, 'options'],
    [[], 'options'],
    [{}, 'options.connectionString'],
    [{ connectionString: 42 }, 'options.connectionString'],
    [{ pool: null }, 'options.pool'],
    [{ pool: { query() {} } }, 'options.pool'],
    [{ connectionString: url, pool }, 'options'],
    [{ connectionString: `${url}?connect_timeout=soon` }, 'options.connectionString'],
    [{ connectionString: url, schema: '' }, 'options.schema'],
    [{ connectionString: url, schema: 7 }, 'options.schema'],
    [{ connectionString: url, migrate: 1 }, 'options.migrate'],
    [{ connectionString: url, copyThreshold: Number.POSITIVE_INFINITY }, 'options.copyThreshold'],
    [{ connectionString: url, pageSize: 0 }, 'options.pageSize'],
    [{ connectionString: url, pageBytes: -1 }, 'options.pageBytes'],
    [{ connectionString: url, poolSize: 0.5 }, 'options.poolSize'],
    [{ connectionString: url, partitions: 1025 }, 'options.partitions'],
    [{ connectionString: url, connectTimeoutMs: -1 }, 'options.connectTimeoutMs'],
    [{ connectionString: url, poolMode: 'statement' }, 'options.poolMode'],
    [{ connectionString: url, listenConnectionString: '' }, 'options.listenConnectionString'],
    [{ connectionString: url, pagesize: 10 }, 'options.pagesize'],
  ])('refuses %j naming %s', (options, field) => {
    let error: unknown;
    try {
      resolvePostgresOptions(options);
    } catch (e) {
      error = e;
    }
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ field });
  });

  it.each([
    [{ maxBatchSize: 0 }, 'options.maxBatchSize'],
    [{ maxConcurrentBatches: 65 }, 'options.maxConcurrentBatches'],
  ])('refuses the common option %j naming %s', (options, field) => {
    expect(() => resolvePostgresStoreOptions({ connectionString: url, ...options })).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT', field }),
    );
  });

  it('migrate() options ignore keys of the store options', () => {
    const options = { schema: 'h2', poolSize: 3, maxBatchSize: 9 };
    expect(resolveMigrateOptions({ connectionString: url }, options).schema).toBe('h2');
  });
});
