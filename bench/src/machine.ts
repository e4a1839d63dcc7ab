import { cpus, loadavg, totalmem } from 'node:os';
import type { BenchResult } from './results.js';

const loadAverage = () => loadavg().map((l) => Math.round(l * 100) / 100);

/**
 * What a run's figures were taken on. Called when the run starts; `finish` adds the idle
 * event-loop delay and the load average at its end, as other work on a shared machine skews every figure.
 */
export function describeMachine(): {
  finish(idleEventLoopDelayP99Ms: number): BenchResult['machine'];
} {
  const loadAverageAtStart = loadAverage();
  return {
    finish(idleEventLoopDelayP99Ms) {
      const cpuList = cpus();
      return {
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(totalmem() / 1073741824),
        platform: `${process.platform} ${process.arch}`,
        node: process.version,
        loadAverageAtStart,
        idleEventLoopDelayP99Ms,
        loadAverageAtEnd: loadAverage(),
      };
    },
  };
}
