import { InvalidArgumentError } from '@history/core';
import { type Command, Option, InvalidArgumentError as OptionValueError } from 'commander';
import type { StoreLocation } from './store-url.js';
import { parseStoreUrl } from './store-url.js';

export const STORE_HELP =
  'the store: file:<dir>, sqlite:<file> or postgres://user@host/db[?schema=name]';

/** `-s, --store <url>`, falling back to `HISTORY_STORE`. */
export function addStoreOption(command: Command): Command {
  return command.addOption(new Option('-s, --store <url>', STORE_HELP).env('HISTORY_STORE'));
}

/** The store a command was given, parsed; a missing or malformed one is a usage error. */
export function storeOf(options: { store?: string }, field = '--store'): StoreLocation {
  if (options.store === undefined) {
    throw new InvalidArgumentError(field, 'is required: give --store <url> or set HISTORY_STORE');
  }
  return parseStoreUrl(options.store, field);
}

/** `--json`: machine-readable output. */
export function addJsonOption(command: Command, what: string): Command {
  return command.option('--json', what);
}

/** `--no-progress` and `--progress-interval <seconds>`, for long commands. */
export function addProgressOptions(command: Command): Command {
  return command
    .option('--no-progress', 'no progress on stderr')
    .option(
      '--progress-interval <seconds>',
      'seconds between progress lines when stderr is not a terminal',
      positiveNumber,
      5,
    );
}

export interface ProgressFlags {
  progress: boolean;
  progressInterval: number;
}

/** Commander argument parser: an integer from 0 up. */
export function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new OptionValueError('expected a whole number (0 or more)');
  }
  return n;
}

/** Commander argument parser: an integer from 1 up. */
export function positiveCount(value: string): number {
  const n = count(value);
  if (n === 0) throw new OptionValueError('expected a whole number of at least 1');
  return n;
}

/** Commander argument parser: a number above 0. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new OptionValueError('expected a number above 0');
  }
  return n;
}

/** Commander argument parser for repeatable options: collects every value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
