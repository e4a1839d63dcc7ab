import { SCENARIOS, type Scenario } from './results.js';
import { hasLifecycle, type Sizes } from './sizes.js';

/**
 * The scenarios a run does: those asked for, else all of them, lifecycle only when the
 * sizes ask for it (`--full`, `--tiny`), so quick mode stays as it was before it existed.
 */
export function selectScenarios(
  requested: readonly string[] | undefined,
  sizes: Sizes,
): Scenario[] {
  const scenarios = [
    ...(requested ?? SCENARIOS.filter((s) => s !== 'lifecycle' || hasLifecycle(sizes))),
  ];
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s)) {
      throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
    }
  }
  if (scenarios.includes('lifecycle') && !hasLifecycle(sizes)) {
    throw new Error(
      'the lifecycle scenario has no size in quick mode: add --full, or --purge-events=N / --list-sessions=N',
    );
  }
  return scenarios as Scenario[];
}
