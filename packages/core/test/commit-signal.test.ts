import { describe, expect, it } from 'vitest';
import { ALL_SESSIONS, CommitSignal } from '../src/commit-signal.js';

/** Whether `promise` has settled once pending callbacks ran (no timers involved). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const HOUR = 3_600_000;

describe('CommitSignal', () => {
  it('a commit between taking the count and waiting is not missed', async () => {
    const signal = new CommitSignal();
    signal.join('s');
    const seen = signal.commits('s');
    signal.notify(['s']);
    expect(await settled(signal.wait('s', seen, HOUR))).toBe(true);
  });

  it("wakes a waiting follower on its session's commit only", async () => {
    const signal = new CommitSignal();
    signal.join('s');
    const waiting = signal.wait('s', signal.commits('s'), HOUR);
    signal.notify(['other']);
    expect(await settled(waiting)).toBe(false);
    signal.notify(['s']);
    expect(await settled(waiting)).toBe(true);
  });

  it('wakes a feed follower (ALL_SESSIONS) on a commit to any session, and only with one', async () => {
    const signal = new CommitSignal();
    signal.join(ALL_SESSIONS);
    const waiting = signal.wait(ALL_SESSIONS, signal.commits(ALL_SESSIONS), HOUR);
    signal.notify([]);
    expect(await settled(waiting)).toBe(false);
    signal.notify(['anything']);
    expect(await settled(waiting)).toBe(true);
    expect(signal.commits(ALL_SESSIONS)).toBe(1);
    signal.leave(ALL_SESSIONS);
    expect(signal.following).toBe(false);
  });

  it('wakes on abort and on close, and at once when either happened before', async () => {
    const signal = new CommitSignal();
    signal.join('s');
    const controller = new AbortController();
    const aborting = signal.wait('s', 0, HOUR, controller.signal);
    controller.abort();
    expect(await settled(aborting)).toBe(true);
    expect(await settled(signal.wait('s', 0, HOUR, controller.signal))).toBe(true);
    const closing = signal.wait('s', 0, HOUR);
    signal.close();
    expect(await settled(closing)).toBe(true);
    expect(await settled(signal.wait('s', 0, HOUR))).toBe(true);
  });

  it('counts commits only while a session has followers', () => {
    const signal = new CommitSignal();
    signal.notify(['s']);
    signal.join('s');
    signal.join('s');
    expect(signal.commits('s')).toBe(0);
    signal.notify(['s', 's']);
    signal.leave('s');
    expect(signal.commits('s')).toBe(2);
    signal.leave('s');
    // The last follower left: nothing is kept for the session.
    expect(signal.commits('s')).toBe(0);
  });

  it("runs the backend's watch while anyone follows; its commits wake every follower", async () => {
    let onCommit: (() => void) | undefined;
    let watching = 0;
    const signal = new CommitSignal((callback) => {
      onCommit = callback;
      watching++;
      return () => {
        watching--;
      };
    });
    expect(watching).toBe(0);
    signal.join('a');
    signal.join('b');
    expect(watching).toBe(1);
    const a = signal.wait('a', signal.commits('a'), HOUR);
    const b = signal.wait('b', signal.commits('b'), HOUR);
    onCommit!();
    expect([await settled(a), await settled(b)]).toEqual([true, true]);
    signal.leave('a');
    expect(watching).toBe(1);
    signal.leave('b');
    expect(watching).toBe(0);
    // Following again starts it again; closing stops it.
    signal.join('a');
    expect(watching).toBe(1);
    signal.close();
    expect(watching).toBe(0);
  });
});
