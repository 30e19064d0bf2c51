/**
 * Errors the workspace raises. Each class marks one kind of mistake so callers can map it without
 * parsing messages: bad input from a request (role, timezone) is the caller's fault and becomes a
 * 400; a broken workspace on disk is the operator's to fix.
 */
import { ROLE_PATTERN } from '../../config';

/** The role is not `[A-Za-z0-9_-]{1,64}`. Raised before any file is touched; callers answer 400. */
export class InvalidRoleError extends Error {
  override readonly name = 'InvalidRoleError';
  /** The ApplicationFailure type the activity layer should raise (non-retryable; the API maps it to 400). */
  readonly failureType = 'Workspace.InvalidRole';
  constructor(readonly role: string) {
    super(
      `Invalid agent role '${truncateForMessage(role)}': a role must be 1-64 characters of letters, digits, '_' or '-' (for example 'lead')`,
    );
  }
}

/** The timezone is not an IANA name the runtime knows; callers answer 400. */
export class InvalidTimezoneError extends Error {
  override readonly name = 'InvalidTimezoneError';
  /** The ApplicationFailure type the activity layer should raise (non-retryable; the API maps it to 400). */
  readonly failureType = 'Workspace.InvalidTimezone';
  constructor(readonly timezone: string) {
    super(
      `Invalid timezone '${truncateForMessage(timezone)}': use an IANA time zone such as 'UTC', 'Europe/Berlin' or 'America/New_York'`,
    );
  }
}

/** The workspace root is missing, or a file in it exists but cannot be read (permissions, I/O). */
export class WorkspaceError extends Error {
  override readonly name = 'WorkspaceError';
  /** Retryable: the operator can fix the folder while Temporal retries. */
  readonly failureType = 'Workspace.Unavailable';
  constructor(
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Validates a role from a request; `undefined` means "no role" (default persona). */
export function assertValidRole(role: string | undefined): void {
  if (role !== undefined && !ROLE_PATTERN.test(role)) throw new InvalidRoleError(role);
}

/** Request values are echoed in error messages; keep them short so a 1 MB role does not become a 1 MB log line. */
function truncateForMessage(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
