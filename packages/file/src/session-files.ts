import { join } from 'node:path';
import { SESSIONS_DIR } from './layout.js';
import { sessionSegments } from './session-path.js';

/** Where one session's files live under `root`. */
export interface SessionFiles {
  /** Directory holding the files (nested for long ids). */
  dir: string;
  data: string;
  index: string;
  checkpoint: string;
  /** The last seq of a deleted session (see tombstone.ts). */
  tombstone: string;
  /** The file a compaction writes before renaming it over `data` (see compact-session.ts). */
  compactTemp: string;
}

export const DATA_EXT = '.jsonl';

/** Paths of a session's files; only encoded segments ever reach the path. */
export function sessionFiles(root: string, sessionId: string): SessionFiles {
  const segments = sessionSegments(sessionId);
  const stem = segments.pop()!;
  const dir = join(root, SESSIONS_DIR, ...segments);
  return {
    dir,
    data: join(dir, `${stem}${DATA_EXT}`),
    index: join(dir, `${stem}.idx`),
    checkpoint: join(dir, `${stem}.checkpoint.json`),
    tombstone: join(dir, `${stem}.tombstone`),
    compactTemp: join(dir, `${stem}${DATA_EXT}.compact`),
  };
}
