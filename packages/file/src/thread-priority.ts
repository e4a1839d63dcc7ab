import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the CPU priority of the calling thread alone (`nice`, 0-19), for background work that
 * must lose to the event loop's thread whenever both want a core. Linux only, where a thread's
 * id is a process id to `setpriority` and `/proc/thread-self` names it; elsewhere, or where it
 * is refused, the thread keeps its priority.
 */
export function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: the work runs at the thread's priority, only slower for it.
  }
}
