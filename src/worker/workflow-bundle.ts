/**
 * What goes into the workflow bundle, the same wherever it is built: the prebuilt
 * dist/workflow-bundle.js, a worker that bundles at start, the tests, the bench and the scripts.
 */
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';

export const WORKFLOWS_PATH = path.join(__dirname, '../workflows/index.ts');

/** Bundled beside the workflows: the spans of traced runs (src/workflows/tracing-interceptors.ts). */
export const WORKFLOW_INTERCEPTOR_MODULES = [path.join(__dirname, '../workflows/tracing-interceptors.ts')];

/** The bundle's code; `workflowsPath` for the bench's variants of the workflows. */
export async function bundleClasperWorkflows(
  opts: { workflowsPath?: string; logger?: BundleOptions['logger'] } = {},
): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: opts.workflowsPath ?? WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return code;
}
