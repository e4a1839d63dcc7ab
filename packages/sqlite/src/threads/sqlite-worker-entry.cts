/**
 * The piscina entry point, deliberately CommonJS. Piscina first tries
 * `require()` on its worker file; on Node 20 that means `require(esm)` of an
 * ES module, which can race with the `import()` fallback and abort the whole
 * process (FATAL "v8::Module::IsGraphAsync must be used on an instantiated
 * module", seen here about once in five test runs). A CommonJS file that loads
 * the ES module once, through `import()` only, never takes that path.
 */
type Run = (task: unknown) => unknown;

let run: Promise<Run> | undefined;

async function handle(task: unknown): Promise<unknown> {
  run ??= import('./sqlite-worker.js').then((m) => m.default as Run);
  return (await run)(task);
}

export = handle;
