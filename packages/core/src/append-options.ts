import { nonNegativeInteger, optionsRecord } from './call-options.js';

const KEYS = new Set(['expectedSeq']);

/** Validates an `append`/`appendMany` options argument; returns its `expectedSeq`, if any. */
export function expectedSeqOf(options: unknown): number | undefined {
  return nonNegativeInteger(
    optionsRecord(options, 'options', KEYS)?.expectedSeq,
    'options.expectedSeq',
  );
}
