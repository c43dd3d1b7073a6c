// Determinism guard: histories recorded from real runs (scripts/record-histories.ts) must replay against the
// current workflow code. A change that alters the command sequence fails here before it can break running orders.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal.ts';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));

describe('OrderWorkflow replay', () => {
  it('when the recorded histories are replayed, then every one replays without a determinism error', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['cancelled.json', 'completed.json', 'expired.json', 'paid-after-decline.json']);
    const histories = await Promise.all(
      files.map(async (file) => ({ workflowId: file, history: JSON.parse(await readFile(dir + file, 'utf8')) as unknown })),
    );
    const results: Array<{ workflowId: string; error?: string }> = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      results.push({ workflowId: result.workflowId, ...(result.error ? { error: String(result.error) } : {}) });
    }
    expect(results).toEqual(files.map((workflowId) => ({ workflowId })));
  });
});
