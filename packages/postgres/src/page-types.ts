import pg from 'pg';

const INT8 = 20;
const TIMESTAMPTZ = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ) as (text: string) => Date;

/**
 * Type parsers of stream and feed pages: created_at comes back as the server's text (turned
 * into ISO-8601 by `createdAtParser`), rather than into a Date per row as pg's default parser
 * would; seq straight to a number.
 */
export const PAGE_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ
      ? (text: string) => text
      : oid === INT8
        ? Number
        : pg.types.getTypeParser(oid, format),
};

/**
 * A page's created_at text to ISO-8601, parsed once per distinct value: the records of one
 * batch share theirs.
 */
export function createdAtParser(): (text: string) => string {
  let lastText = '';
  let lastIso = '';
  return (text) => {
    if (text !== lastText) {
      lastText = text;
      lastIso = parseTimestamptz(text).toISOString();
    }
    return lastIso;
  };
}
