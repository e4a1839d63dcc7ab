import type { IntegrityReport, VerifyOptions } from '@history/core';
import { CliError } from './cli-error.js';
import { loadAdapter } from './load-adapter.js';
import type { StoreLocation } from './store-url.js';

// The adapters' verify functions, as the shared interface defines them. Looked up as optional:
// an adapter installed at a version from before them lacks them (see `needs`).
type VerifyFile = (options: { root: string } & VerifyOptions) => Promise<IntegrityReport>;
type VerifySqlite = (options: { filename: string } & VerifyOptions) => Promise<IntegrityReport>;
type VerifyPostgres = (
  options: { connectionString?: string; schema?: string } & VerifyOptions,
) => Promise<IntegrityReport>;

/**
 * Runs the adapter's own integrity check (`verifyFileStore`, `verifySqliteStore`,
 * `verifyPostgresStore`): it reads the storage without opening it for writing, so it never
 * repairs what it reports, and changes nothing.
 */
export async function verifyStore(
  location: StoreLocation,
  options: VerifyOptions,
): Promise<IntegrityReport> {
  switch (location.kind) {
    case 'file': {
      const adapter = await loadAdapter('file');
      return needs(
        (adapter as { verifyFileStore?: VerifyFile }).verifyFileStore,
        '@history/file',
        'verifyFileStore',
      )({
        ...options,
        root: location.root,
      });
    }
    case 'sqlite': {
      const adapter = await loadAdapter('sqlite');
      return needs(
        (adapter as { verifySqliteStore?: VerifySqlite }).verifySqliteStore,
        '@history/sqlite',
        'verifySqliteStore',
      )({
        ...options,
        filename: location.filename,
      });
    }
    case 'postgres': {
      const adapter = await loadAdapter('postgres');
      return needs(
        (adapter as { verifyPostgresStore?: VerifyPostgres }).verifyPostgresStore,
        '@history/postgres',
        'verifyPostgresStore',
      )({
        ...options,
        connectionString: location.connectionString,
        ...(location.schema === undefined ? {} : { schema: location.schema }),
      });
    }
  }
}

/** An installed adapter older than the function: say which package to upgrade. */
function needs<F>(fn: F | undefined, name: string, what: string): F {
  if (typeof fn !== 'function') {
    throw new CliError(
      `the installed ${name} has no ${what}: upgrade it (npm install ${name}@latest)`,
    );
  }
  return fn;
}
