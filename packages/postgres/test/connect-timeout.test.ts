import { once } from 'node:events';
import net from 'node:net';
import { InvalidArgumentError, StorageError } from '@history/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPostgresHistoryStore, migrate } from '../src/index.js';
import { POSTGRES_DEFAULTS, resolvePostgresOptions } from '../src/options.js';

/** A server that accepts TCP connections and never writes a byte (nor closes them). */
async function silentServer() {
  const open = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('error', () => {});
    socket.resume(); // reads (and drops) the startup message, so the client's FIN is seen
    socket.on('close', () => open.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgres://nobody@127.0.0.1:${port}/none`,
    accepted: () => accepted,
    open: () => open.size,
    async close() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('connect timeout against a server that never answers', () => {
  let stub: Awaited<ReturnType<typeof silentServer>> | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  async function expectTimeoutError(opening: Promise<unknown>, ms: number) {
    const error = (await opening.catch((e) => e)) as StorageError;
    expect(StorageError.isInstance(error)).toBe(true);
    expect(error.transient).toBe(true);
    expect(error.message).toContain(`no connection within ${ms} ms`);
    expect(error.message).toContain('connectTimeoutMs');
    const s = stub as NonNullable<typeof stub>;
    expect(s.accepted()).toBeGreaterThan(0);
    // The store's pool gave its socket up: the stub sees every connection closed.
    await vi.waitFor(() => expect(s.open()).toBe(0), { timeout: 10_000, interval: 20 });
  }

  it('connectTimeoutMs: opening rejects with a StorageError and closes the socket', async () => {
    stub = await silentServer();
    await expectTimeoutError(
      createPostgresHistoryStore({ connectionString: stub.url, connectTimeoutMs: 300 }),
      300,
    );
  }, 20_000);

  it('connect_timeout in the connection string applies without the option', async () => {
    stub = await silentServer();
    await expectTimeoutError(
      createPostgresHistoryStore({ connectionString: `${stub.url}?connect_timeout=1` }),
      1000,
    );
  }, 20_000);

  it('connectTimeoutMs wins over the connection string', async () => {
    stub = await silentServer();
    await expectTimeoutError(
      createPostgresHistoryStore({
        connectionString: `${stub.url}?connect_timeout=3600`,
        connectTimeoutMs: 300,
      }),
      300,
    );
  }, 20_000);

  it('migrate() is bounded the same way', async () => {
    stub = await silentServer();
    await expectTimeoutError(
      migrate({ connectionString: stub.url }, { connectTimeoutMs: 300 }),
      300,
    );
  }, 20_000);
});

describe('connectTimeoutMs resolution', () => {
  const url = 'postgres://nobody@127.0.0.1:1/none';
  it.each([
    [{ connectionString: url }, POSTGRES_DEFAULTS.connectTimeoutMs],
    [{ connectionString: `${url}?connect_timeout=7` }, 7000],
    [{ connectionString: `${url}?connect_timeout=0` }, 0],
    [{ connectionString: `${url}?connect_timeout=-1` }, 0],
    [{ connectionString: `${url}?connect_timeout=7`, connectTimeoutMs: 250 }, 250],
    [{ connectionString: url, connectTimeoutMs: 0 }, 0],
  ])('%j -> %d ms', (options, expected) => {
    expect(resolvePostgresOptions(options).connectTimeoutMs).toBe(expected);
  });

  it.each([
    [{ connectionString: url, connectTimeoutMs: -1 }, 'options.connectTimeoutMs'],
    [{ connectionString: url, connectTimeoutMs: 1.5 }, 'options.connectTimeoutMs'],
    [{ connectionString: url, connectTimeoutMs: '300' }, 'options.connectTimeoutMs'],
    [{ connectionString: url, connectTimeoutMs: Number.NaN }, 'options.connectTimeoutMs'],
    [{ connectionString: `${url}?connect_timeout=1.5` }, 'options.connectionString'],
    [{ connectionString: `${url}?connect_timeout=soon` }, 'options.connectionString'],
  ])('opening with %j rejects naming %s, before connecting', async (options, field) => {
    const error = await createPostgresHistoryStore(options as never).catch((e) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.field).toBe(field);
  });

  it('migrate() validates connectTimeoutMs too', async () => {
    const error = await migrate({ connectionString: url }, { connectTimeoutMs: -5 }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({
      code: 'HISTORY_INVALID_ARGUMENT',
      field: 'options.connectTimeoutMs',
    });
  });
});
