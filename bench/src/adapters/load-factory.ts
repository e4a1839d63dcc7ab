import type { HistoryStore } from '@history/core';

type Factory = (options: Record<string, unknown>) => Promise<HistoryStore> | HistoryStore;

/**
 * Imports an adapter package at run time, so a missing or broken adapter is
 * reported as an error row instead of stopping the whole benchmark.
 */
export async function loadFactory(specifier: string, exportName: string): Promise<Factory> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `cannot import ${specifier} (is it built? pnpm turbo run build --filter=@history/bench...): ${(error as Error).message}`,
    );
  }
  const factory = mod[exportName];
  if (typeof factory !== 'function')
    throw new Error(`${specifier} does not export ${exportName}()`);
  return factory as Factory;
}
