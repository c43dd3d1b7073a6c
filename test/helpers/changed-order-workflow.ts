// A deliberately incompatible OrderWorkflow for the history check's test: same name, different first command (a
// timer where the real one records its version markers and local steps), as an unversioned change would be.
import { sleep } from '@temporalio/workflow';

export async function orderWorkflow(): Promise<void> {
  await sleep(1000);
}
