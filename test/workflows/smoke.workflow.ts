// Test-only workflow used by the Temporal smoke tests (dev server, time-skipping server): a durable timer, then how
// much workflow time passed. Not part of the production bundle (workflows/index.ts); test/helpers/test-workflows.ts
// bundles it next to the production workflows.
import { sleep } from '@temporalio/workflow';

export async function smokeWorkflow(sleepMs: number): Promise<{ sleptMs: number }> {
  const started = Date.now(); // workflow time: deterministic, advanced by the server's (possibly skipped) clock
  await sleep(sleepMs);
  return { sleptMs: Date.now() - started };
}
