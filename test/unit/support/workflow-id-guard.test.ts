/**
 * The harness guard that keeps test files out of each other's workflows (test/support/workflow-id-guard.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimWorkflowId } from '../../support/workflow-id-guard';

describe('claimWorkflowId', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-id-guard-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets one task queue use an id as often as it likes', () => {
    claimWorkflowId(dir, 'session/user:a:lead', 'test-q1');
    expect(() => claimWorkflowId(dir, 'session/user:a:lead', 'test-q1')).not.toThrow();
  });

  it('refuses the same id from another task queue, naming the id and its owner', () => {
    claimWorkflowId(dir, 'session/user:slow:lead', 'test-q1');
    expect(() => claimWorkflowId(dir, 'session/user:slow:lead', 'test-q2')).toThrow(
      "workflow id 'session/user:slow:lead' is already used by another test stack in this run (task queue test-q1)",
    );
    expect(() => claimWorkflowId(dir, 'session/user:fast:lead', 'test-q2')).not.toThrow();
  });
});
