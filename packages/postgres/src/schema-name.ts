import { InvalidArgumentError } from '@history/core';

/** PostgreSQL truncates longer identifiers silently, which could make two schema names collide. */
export const MAX_SCHEMA_NAME_BYTES = 63;

/** Throws `InvalidArgumentError` naming `field` unless `value` is a usable schema name. */
export function assertSchemaName(value: unknown, field = 'schema'): asserts value is string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'expected a string');
  if (value.length === 0) throw new InvalidArgumentError(field, 'must not be empty');
  if (value.includes('\0'))
    throw new InvalidArgumentError(field, 'must not contain NUL characters');
  if (!value.isWellFormed()) throw new InvalidArgumentError(field, 'must be well-formed Unicode');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SCHEMA_NAME_BYTES) {
    throw new InvalidArgumentError(
      field,
      `is ${bytes} UTF-8 bytes; at most ${MAX_SCHEMA_NAME_BYTES}`,
    );
  }
}

/** `name` as a quoted SQL identifier: the only way a schema name ever enters SQL text. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
