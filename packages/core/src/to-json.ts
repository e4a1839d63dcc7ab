/**
 * JSON text of `value`, or the reason it has none. JSON.stringify throws on
 * BigInt and cycles and silently yields `undefined` for functions and symbols;
 * all of those are "not JSON" to the store.
 */
export function toJson(value: unknown): { json: string } | { problem: string } {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return { problem: `is not JSON-serialisable (${(error as Error).message})` };
  }
  if (json === undefined) return { problem: `is not JSON-serialisable (${typeof value})` };
  return { json };
}
