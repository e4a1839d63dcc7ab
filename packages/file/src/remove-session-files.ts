import { unlinkSync } from 'node:fs';
import { checkpointTempPath } from './checkpoint-file.js';
import { fsyncDir } from './fs-sync.js';
import type { SessionFiles } from './session-files.js';

/**
 * Unlinks every file holding a session's data: index, checkpoint, temp files
 * left by a crash, then the data file last (until it goes, the session still
 * exists whole), and fsyncs the directory so the removal survives a power loss.
 * The tombstone stays. Missing files are fine.
 */
export async function removeSessionFiles(files: SessionFiles): Promise<void> {
  for (const path of [
    files.index,
    files.checkpoint,
    checkpointTempPath(files),
    files.compactTemp,
    files.data,
  ]) {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  await fsyncDir(files.dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
