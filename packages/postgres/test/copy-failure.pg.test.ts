import { envelope } from '@history/contract-tests';
import type { AppendResult } from '@history/core';
import { prepareEnvelope } from '@history/core/backend';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StagedRow } from '../src/copy-rows.js';
import { createPostgresHistoryStore } from '../src/index.js';
import { PostgresWriter } from '../src/postgres-writer.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { SessionStatements } from '../src/session-statements.js';
import { Statements } from '../src/statements.js';
import { pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

const prepare = (i: number) =>
  prepareEnvelope(envelope(i), { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' });

/** A writer whose COPY data goes wrong after `goodRows` rows. */
class FailingCopyWriter extends PostgresWriter {
  constructor(
    pool: pg.Pool,
    schema: string,
    private readonly goodRows: number,
    private readonly failure: 'bad-row' | 'source-throws',
  ) {
    super(pool, new Statements(schema), new SessionStatements(schema), 1);
  }

  protected override *copyLines(rows: Iterable<StagedRow>): Generator<string> {
    let n = 0;
    for (const line of super.copyLines(rows)) {
      if (n++ === this.goodRows) {
        if (this.failure === 'source-throws') throw new Error('source failed mid-stream');
        yield 'not\ta\tvalid\trow\n'; // n "not" is no integer: the server aborts the COPY
      }
      yield line;
    }
  }
}

for (const target of pgTargets()) {
  describe(`COPY failure mid-stream (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    let pool: pg.Pool;
    beforeEach(async () => {
      fixture = await migratedSchema(target.url, 'copyfail');
      // One connection: if the failed COPY leaked or poisoned it, everything after would hang or fail.
      pool = testPool(target.url, 1);
    });
    afterEach(async () => {
      await pool.end();
      await fixture.drop();
    });

    it.each(['bad-row', 'source-throws'] as const)(
      'on %s: rolls back the whole batch and returns a healthy connection',
      async (failure) => {
        const s = quoteIdentifier(fixture.schema);
        const records = Array.from({ length: 5000 }, (_, k) => prepare(k + 1));
        const before = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        const failing = new FailingCopyWriter(pool, fixture.schema, 2500, failure);
        await expect(failing.writeBatch(records)).rejects.toThrow(
          failure === 'source-throws' ? /source failed/ : /invalid input syntax/,
        );

        expect(pool.totalCount).toBeLessThanOrEqual(1);
        const { rows } = await pool.query(
          `SELECT (SELECT count(*) FROM ${s}.events)::int AS events,
                  (SELECT count(*) FROM ${s}.sessions)::int AS sessions,
                  pg_backend_pid() AS pid`,
        );
        // Nothing of the batch survived, and the very same connection went back to the pool.
        expect(rows[0]).toEqual({ events: 0, sessions: 0, pid: before });

        // The same connection then carries a good COPY batch, numbered from 1.
        const good = new PostgresWriter(
          pool,
          new Statements(fixture.schema),
          new SessionStatements(fixture.schema),
          1,
        );
        const results = (await good.writeBatch(records)) as AppendResult[];
        expect(results.map((r) => r.seq)).toEqual(records.map((_, k) => k + 1));
        const count = await pool.query(`SELECT count(*)::int AS n FROM ${s}.events`);
        expect(count.rows[0].n).toBe(5000);
      },
    );

    it('a store keeps working after a failed batch on its pool', async () => {
      const failing = new FailingCopyWriter(pool, fixture.schema, 10, 'bad-row');
      await expect(
        failing.writeBatch([
          prepare(1),
          prepare(2),
          prepare(3),
          ...Array.from({ length: 20 }, (_, k) => prepare(10 + k)),
        ]),
      ).rejects.toThrow();
      const store = await createPostgresHistoryStore({
        pool,
        schema: fixture.schema,
        copyThreshold: 2,
      });
      const results = await store.appendMany([envelope(1), envelope(2), envelope(3)]);
      expect(results.map((r) => [r.seq, r.duplicate])).toEqual([
        [1, false],
        [2, false],
        [3, false],
      ]);
      await store.close();
    });
  });
}
