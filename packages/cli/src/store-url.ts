import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@history/core';

/** Where a store lives, as a store URL names it. */
export type StoreLocation =
  | { kind: 'file'; root: string; display: string }
  | { kind: 'sqlite'; filename: string; display: string }
  | {
      kind: 'postgres';
      /** The URL with the CLI's own parameters (`schema`) removed: what `pg` is given. */
      connectionString: string;
      schema?: string;
      display: string;
    };

/** Query parameters of a PostgreSQL URL that the CLI reads and `pg` must not see. */
const CLI_PG_PARAMS = ['schema'];

const HINT = 'expected file:<dir>, sqlite:<file> or postgres://[user@]host[:port]/db[?schema=name]';

/**
 * Parses a store URL: `file:./dir`, `file:///abs/dir`, `sqlite:./history.db`,
 * `sqlite:///abs/history.db`, `postgres://...` or `postgresql://...` (with `?schema=`).
 * A relative path after `file:` or `sqlite:` is taken as written, relative to the current
 * directory. Throws `InvalidArgumentError` naming `field`.
 */
export function parseStoreUrl(value: unknown, field = 'store'): StoreLocation {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(field, `is required (${HINT})`);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || (scheme.length === 1 && /^[a-zA-Z]:[\\/]/.test(value))) {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(value)} has no scheme: ${HINT}${guess(value)}`,
    );
  }
  switch (scheme) {
    case 'file':
      return { kind: 'file', root: pathOf(value, 'file', field), display: value };
    case 'sqlite':
      return { kind: 'sqlite', filename: pathOf(value, 'sqlite', field), display: value };
    case 'postgres':
    case 'postgresql':
      return postgresLocation(value, field);
    default:
      throw new InvalidArgumentError(field, `unknown store scheme "${scheme}:": ${HINT}`);
  }
}

/** The path of a `file:` or `sqlite:` URL: `scheme:path` literally, `scheme:///abs` as a URL. */
function pathOf(value: string, scheme: string, field: string): string {
  const rest = value.slice(scheme.length + 1);
  if (rest.startsWith('//')) {
    let url: URL;
    try {
      url = new URL(`file:${rest}`);
    } catch {
      throw new InvalidArgumentError(field, `${JSON.stringify(value)} is not a valid URL`);
    }
    if (url.host !== '' && url.host !== 'localhost') {
      throw new InvalidArgumentError(
        field,
        `${scheme}: URLs name a local path (${scheme}:///absolute/path or ${scheme}:./relative), not a host ("${url.host}")`,
      );
    }
    if (url.search !== '' || url.hash !== '') {
      throw new InvalidArgumentError(field, `${scheme}: URLs take no query or fragment`);
    }
    return fileURLToPath(url);
  }
  if (rest === '') throw new InvalidArgumentError(field, `${scheme}: needs a path (${HINT})`);
  return rest;
}

function postgresLocation(value: string, field: string): StoreLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(field, `${redact(value)} is not a valid PostgreSQL URL`);
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema === '') throw new InvalidArgumentError(field, 'schema= must not be empty');
  for (const name of CLI_PG_PARAMS) url.searchParams.delete(name);
  const connectionString = url.href;
  const display = redact(value);
  return schema === undefined
    ? { kind: 'postgres', connectionString, display }
    : { kind: 'postgres', connectionString, schema, display };
}

/** The URL with its password replaced, for messages. */
export function redact(value: string): string {
  return value.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** A hint for a bare path, from its extension. */
function guess(value: string): string {
  if (/\.(db|sqlite3?)$/i.test(value)) return ` (did you mean sqlite:${prefixed(value)}?)`;
  if (!/[?#]/.test(value)) return ` (for a directory of JSONL files: file:${prefixed(value)})`;
  return '';
}

function prefixed(path: string): string {
  return isAbsolute(path) || path.startsWith('.') ? path : `./${path}`;
}
