import type { Envelope, HistoryRecord } from '@history/core';
import { CliError } from './cli-error.js';

/** The session the CLI's stores give an envelope without `sessionId` (core's default). */
const DEFAULT_SESSION_ID = 'default';

/**
 * One line of `history export` (and of `cat --json`): the record's session, seq and commit
 * time, and the envelope exactly as stored. `JSON.stringify` of a parsed stored envelope gives
 * back its stored text, so the envelope's bytes are the store's.
 */
export function exportLine(record: HistoryRecord): string {
  return `{"sessionId":${JSON.stringify(record.sessionId)},"seq":${record.seq},"createdAt":${JSON.stringify(record.createdAt)},"envelope":${JSON.stringify(record.envelope)}}\n`;
}

/**
 * The envelope to append elsewhere for a record. An envelope stored without `sessionId` went to
 * its store's default session; appended as it is, it would land in the other store's default
 * session (`default`), so it gets its session's id unless that is `default`.
 */
export function envelopeOf(record: { sessionId: string; envelope: Envelope }): Envelope {
  const { envelope, sessionId } = record;
  if (envelope.sessionId !== undefined || sessionId === DEFAULT_SESSION_ID) return envelope;
  return { ...envelope, sessionId };
}

export interface ImportLine {
  envelope: Envelope;
  /** The seq the line had in the store it was exported from, if it says. */
  seq?: number;
}

/**
 * Parses a line of an import: an export line (`{ sessionId, seq, createdAt, envelope }`) or a
 * bare envelope. The envelope itself is validated by the store when appended.
 */
export function parseImportLine(text: string, where: string): ImportLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${where}: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${where}: expected a JSON object`);
  }
  const line = value as Record<string, unknown>;
  const wrapped = !('id' in line) && typeof line.envelope === 'object' && line.envelope !== null;
  if (!wrapped) return { envelope: line as unknown as Envelope };
  const envelope = line.envelope as Envelope;
  const seq = typeof line.seq === 'number' ? line.seq : undefined;
  const sessionId = typeof line.sessionId === 'string' ? line.sessionId : undefined;
  return {
    envelope: sessionId === undefined ? envelope : envelopeOf({ sessionId, envelope }),
    ...(seq === undefined ? {} : { seq }),
  };
}
