import { backendFailure } from './backend-failure.js';
import { nonNegativeInteger, optionsRecord } from './call-options.js';
import { ClosedError } from './errors/closed-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { HistoryBackend, StoredSession } from './history-backend.js';
import type { SessionInfo } from './history-store.js';
import { identifierProblem } from './identifier.js';

/** Sessions asked of the backend per page. */
export const SESSION_PAGE_SIZE = 100;

interface ListRequest {
  after?: string;
  prefix?: string;
  limit: number;
}

const KEYS = new Set(['after', 'prefix', 'limit']);

/** Validates `listSessions` options, or throws `InvalidArgumentError` naming the field. */
export function normalizeListOptions(options: unknown): ListRequest {
  const o = optionsRecord(options, 'options', KEYS);
  const out: ListRequest = {
    limit: nonNegativeInteger(o?.limit, 'options.limit') ?? Number.POSITIVE_INFINITY,
  };
  for (const key of ['after', 'prefix'] as const) {
    const v = o?.[key];
    if (v === undefined) continue;
    // '' is allowed: no cursor, or every session.
    const problem = v === '' ? undefined : identifierProblem(v);
    if (problem) throw new InvalidArgumentError(`options.${key}`, problem);
    if ((v as string) !== '') out[key] = v as string;
  }
  return out;
}

export function toSessionInfo(s: StoredSession): SessionInfo {
  return {
    sessionId: s.sessionId,
    lastSeq: s.lastSeq,
    eventCount: s.eventCount,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/**
 * The sessions of `request`, a backend page at a time, each page asked for after the
 * previous one's last id: a keyset, so sessions created or deleted meanwhile never make
 * one that exists throughout appear twice or not at all.
 */
export async function* listSessionPages(
  backend: HistoryBackend,
  request: ListRequest,
  isClosed: () => boolean,
): AsyncGenerator<SessionInfo> {
  let { after } = request;
  let left = request.limit;
  while (left > 0) {
    if (isClosed()) throw new ClosedError('listSessions');
    const limit = Math.min(SESSION_PAGE_SIZE, left);
    let page: StoredSession[];
    try {
      page = await backend.listSessions({
        ...(after === undefined ? {} : { after }),
        ...(request.prefix === undefined ? {} : { prefix: request.prefix }),
        limit,
      });
    } catch (error) {
      throw backendFailure(backend, 'listSessions', error);
    }
    for (const session of page.slice(0, limit)) {
      yield toSessionInfo(session);
      left--;
    }
    if (page.length < limit) return;
    after = page[limit - 1]!.sessionId;
  }
}
