// A trivial workflow used by the foundation smoke tests: a durable timer, then how much workflow time passed.
import { sleep } from '@temporalio/workflow';

export async function smokeWorkflow(sleepMs: number): Promise<{ sleptMs: number }> {
  const started = Date.now(); // workflow time: deterministic, advanced by the server's (possibly skipped) clock
  await sleep(sleepMs);
  return { sleptMs: Date.now() - started };
}
