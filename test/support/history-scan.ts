/**
 * The end-of-run secret scan: every workflow history on the test run's Temporal server — every
 * turn, schedule run and failure of every test file — searched for the test secrets and for
 * anything shaped like a JWT. Run by the jest global teardown, so a leak anywhere fails `make test`.
 */
import { Client, Connection } from '@temporalio/client';
import { fetchHistories, scanHistories } from '../reliability/lib/histories';
import type { NamedSecret, SecretFinding } from '../reliability/lib/secrets';

/** The secrets test/support/stack.ts configures (security.test.ts checks they stay in step). */
export const STACK_TEST_SECRETS: NamedSecret[] = [
  { name: 'AGENT_JWT_SECRET', value: 'e2e-agent-jwt-secret-0123456789abcdef' },
  { name: 'INTERNAL_API_TOKEN', value: 'e2e-internal-token' },
  { name: 'OPENAI_API_KEY', value: 'sk-test-e2e-openai-key-do-not-leak' },
];

export async function scanServerHistories(
  address: string,
  secrets: NamedSecret[] = STACK_TEST_SECRETS,
  /** Only workflows started at or after this time (a server that outlives the run). */
  since?: Date,
): Promise<{ scanned: number; findings: SecretFinding[] }> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const ids = new Set<string>();
    const query = since ? `StartTime >= '${since.toISOString()}'` : undefined;
    for await (const wf of client.workflow.list({ query })) ids.add(wf.workflowId);
    const histories = await fetchHistories(client, [...ids]);
    return { scanned: histories.length, findings: scanHistories(histories, secrets) };
  } finally {
    await connection.close();
  }
}
