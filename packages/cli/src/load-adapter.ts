import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** The adapter package of each store kind: optional peer dependencies, loaded on demand. */
export const ADAPTER_PACKAGES = {
  file: '@history/file',
  sqlite: '@history/sqlite',
  postgres: '@history/postgres',
} as const;

export type AdapterKind = keyof typeof ADAPTER_PACKAGES;

interface Adapters {
  file: typeof import('@history/file');
  sqlite: typeof import('@history/sqlite');
  postgres: typeof import('@history/postgres');
}

/**
 * Imports the adapter package of `kind`. A package that is not installed is a one-line
 * `CliError` saying which package to install (exit code 2); one that is installed but fails to
 * load (a native module built for another Node.js) says so with the loader's message.
 */
export async function loadAdapter<K extends AdapterKind>(kind: K): Promise<Adapters[K]> {
  const name = ADAPTER_PACKAGES[kind];
  try {
    // One literal import per package, so bundlers and the type checker see each of them.
    switch (kind) {
      case 'file':
        return (await import('@history/file')) as Adapters[K];
      case 'sqlite':
        return (await import('@history/sqlite')) as Adapters[K];
      default:
        return (await import('@history/postgres')) as Adapters[K];
    }
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' && String(message).includes(`'${name}'`)) {
      throw new CliError(
        `${kind}: stores need the ${name} package, which is not installed: npm install ${name}`,
        EXIT.usage,
        { cause: error },
      );
    }
    throw new CliError(`${name} could not be loaded: ${firstLine(message)}`, EXIT.failure, {
      cause: error,
    });
  }
}

function firstLine(message: unknown): string {
  return String(message).split('\n')[0] ?? '';
}
