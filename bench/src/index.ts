export { ADAPTERS, DEFAULT_ADAPTERS } from './adapters/index.js';
export { renderSvg } from './report/svg.js';
export { renderTable } from './report/table.js';
export type { BenchResult, RunResult, Scenario, TargetCheck } from './results.js';
export { SCENARIOS } from './results.js';
export { type BenchOptions, type Progress, runBenchmark } from './run-benchmark.js';
export { FULL, QUICK, type Sizes, TINY } from './sizes.js';
export { describeWorkload, interleavedEvents, sessionEvents } from './workload.js';
