/**
 * Walks a cursor-paged list (`{items, next_cursor}`, docs/contract.md "Pagination") to the end or
 * until the visitor is satisfied. Bounded on purpose: a backend whose cursor loops, or a list
 * larger than we are willing to scan, fails loudly instead of hanging an activity or returning a
 * silent partial.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MissionControlError } from './errors';

export interface CursorWalk<T> {
  /** `GET /api/...`, for messages. */
  what: string;
  maxPages: number;
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor?: string | null }>;
  /** Returns true to stop early (found what it looked for). */
  visit: (items: T[]) => boolean;
  onPage?: (page: number) => void;
}

export async function walkCursor<T>(walk: CursorWalk<T>): Promise<void> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 1; page <= walk.maxPages; page++) {
    const res = await walk.fetchPage(cursor);
    walk.onPage?.(page);
    if (walk.visit(res.items) || !res.next_cursor) return;
    if (seen.has(res.next_cursor)) {
      throw ApplicationFailure.create({
        message: `${walk.what} returned the cursor '${res.next_cursor}' twice; the backend's paging loops, fix its next_cursor`,
        type: MissionControlError.InvalidResponse,
        nonRetryable: true,
      });
    }
    seen.add(res.next_cursor);
    cursor = res.next_cursor;
  }
  throw ApplicationFailure.create({
    message: `${walk.what} still had more pages after ${walk.maxPages} pages; there are more items than Clasper will scan`,
    type: MissionControlError.TooManyPages,
    nonRetryable: true,
  });
}
