/**
 * Opaque list cursors. Clients must treat them as tokens, so the format may change; today a cursor
 * is base64url of `{"v":1,"o":<offset>}`. Offsets are safe because tasks are only ever appended.
 */
import { z } from 'zod';
import { HttpError } from './errors';

const cursorPayload = z.object({ v: z.literal(1), o: z.number().int().min(0) });

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, o: offset }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = cursorPayload.safeParse(parsed);
  if (!result.success) {
    throw new HttpError(
      400,
      'Invalid cursor: pass back the next_cursor value of a previous page unchanged, or omit it for the first page',
      'invalid_cursor',
      { issues: [{ path: 'cursor', message: 'not a cursor issued by this server' }] },
    );
  }
  return result.data.o;
}
