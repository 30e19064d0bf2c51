/** One line of `clasper doctor`: a named check, ok / warn / fail, and why. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  /** One line. */
  reason: string;
  /** Extra lines worth showing (config problems, the backend's own error text). */
  details?: string[];
}

/** A check that could not run because an earlier one failed. */
export function notChecked(name: string, why: string): DoctorCheck {
  return { name, status: 'warn', reason: `not checked: ${why}` };
}
