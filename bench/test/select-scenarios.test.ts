import { describe, expect, it } from 'vitest';
import { selectScenarios } from '../src/select-scenarios.js';
import { FULL, QUICK, TINY } from '../src/sizes.js';

describe('selectScenarios', () => {
  it('leaves lifecycle out of quick mode, whose sizes have none', () => {
    expect(selectScenarios(undefined, QUICK)).toEqual([
      'ingest',
      'concurrent',
      'replay',
      'checkpoint',
      'follow',
    ]);
  });

  it('runs lifecycle by default with --full and --tiny', () => {
    expect(selectScenarios(undefined, FULL)).toContain('lifecycle');
    expect(selectScenarios(undefined, TINY)).toContain('lifecycle');
    expect(FULL.purgeExpiredEvents).toBe(1_000_000);
    expect(FULL.listSessions).toBe(100_000);
  });

  it('refuses lifecycle asked for without a size, and unknown scenarios', () => {
    expect(() => selectScenarios(['lifecycle'], QUICK)).toThrow(/--full/);
    expect(selectScenarios(['lifecycle'], { ...QUICK, listSessions: 10 })).toEqual(['lifecycle']);
    expect(() => selectScenarios(['nope'], FULL)).toThrow(/unknown scenario nope/);
  });
});
