import { decodeBase32, encodeBase32 } from './base32.js';

/**
 * Base32 characters per path segment. Session ids are at most 512 UTF-8 bytes
 * (820 base32 characters), so long ids become nested directories; 200 keeps
 * every name (prefix, segment, extension, temp suffix) well under 255 bytes.
 */
export const SEGMENT_CHARS = 200;

/**
 * Every segment starts with this letter, so no name can be a Windows device
 * name (`con`, `aux`, `com1`, ...) and none starts with a dot.
 */
const PREFIX = 's';

/**
 * The relative path segments of a session's files: directories, then the file
 * stem (extensions are added by the caller). Reversible with
 * `sessionIdFromSegments`; distinct ids never share a path, whatever the case
 * sensitivity of the file system, because the alphabet has one case only.
 */
export function sessionSegments(sessionId: string): string[] {
  const encoded = encodeBase32(Buffer.from(sessionId, 'utf8'));
  const segments: string[] = [];
  for (let i = 0; i < encoded.length; i += SEGMENT_CHARS) {
    segments.push(PREFIX + encoded.slice(i, i + SEGMENT_CHARS));
  }
  return segments;
}

/** The session id a path (segments without extension) encodes, or `undefined` if it encodes none. */
export function sessionIdFromSegments(segments: readonly string[]): string | undefined {
  if (segments.length === 0) return undefined;
  let encoded = '';
  for (const [i, segment] of segments.entries()) {
    const body = segment.slice(PREFIX.length);
    const last = i === segments.length - 1;
    if (!segment.startsWith(PREFIX) || body.length === 0) return undefined;
    if (!last && body.length !== SEGMENT_CHARS) return undefined;
    if (last && body.length > SEGMENT_CHARS) return undefined;
    encoded += body;
  }
  const bytes = decodeBase32(encoded);
  if (!bytes) return undefined;
  const id = Buffer.from(bytes).toString('utf8');
  // Reject byte sequences that are not the UTF-8 of a string (they would not round-trip).
  return Buffer.from(id, 'utf8').equals(bytes) ? id : undefined;
}
