/**
 * The secret scan behind "no one gets in": finds configured secret values and anything shaped like
 * a JWT in a body of text (workflow histories, worker output, API logs). Findings name where the
 * hit was and show only a redacted excerpt, so a failing test never prints the secret itself.
 */

/** A compact JWS: base64url header (always starts `eyJ`, i.e. `{"`), payload, signature. */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/g;

export interface SecretFinding {
  /** Which source had it: `history agent-turn/u1/x`, `worker stdout`, `api log`. */
  source: string;
  /** The secret's name (`AGENT_JWT_SECRET`) or `JWT`. */
  what: string;
  /** A few characters around the hit with the secret itself replaced. */
  excerpt: string;
}

export interface NamedSecret {
  name: string;
  value: string;
}

/** Every secret value and every JWT in `text`. Secrets shorter than 8 characters are refused (too many false hits). */
export function scanText(source: string, text: string, secrets: NamedSecret[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { name, value } of secrets) {
    if (value.length < 8)
      throw new Error(`secret ${name} is too short to scan for reliably; use at least 8 characters in tests`);
    let at = text.indexOf(value);
    while (at !== -1) {
      findings.push({ source, what: name, excerpt: excerpt(text, at, value.length) });
      at = text.indexOf(value, at + value.length);
    }
  }
  for (const match of text.matchAll(JWT_PATTERN)) {
    findings.push({ source, what: 'JWT', excerpt: excerpt(text, match.index ?? 0, match[0].length) });
  }
  return findings;
}

function excerpt(text: string, at: number, length: number): string {
  const before = text.slice(Math.max(0, at - 40), at);
  const after = text.slice(at + length, at + length + 40);
  return `${before}[REDACTED ${length} chars]${after}`.replace(/\s+/g, ' ');
}

export function describeFindings(findings: SecretFinding[]): string {
  return findings.map((f) => `${f.what} in ${f.source}: …${f.excerpt}…`).join('\n');
}
