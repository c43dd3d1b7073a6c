// Unit: the worker's slots, cache and polls as the worker role and the benchmark's direct worker get them.
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { workerTuning } from '../../src/temporal/worker.ts';

describe('workerTuning', () => {
  it('by default puts most workflow task polls on the queue new orders arrive on', () => {
    const tuning = workerTuning(loadConfig({}));
    expect(tuning).toEqual({
      maxCachedWorkflows: 250,
      maxConcurrentActivityTaskExecutions: 500,
      maxConcurrentLocalActivityExecutions: 500,
      maxConcurrentWorkflowTaskExecutions: 250,
      maxConcurrentWorkflowTaskPolls: 20,
      nonStickyToStickyPollRatio: 0.8,
    });
  });

  it('never opens more polls than there are workflow task slots', () => {
    const tuning = workerTuning(loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8', WORKER_MAX_WORKFLOW_TASK_POLLS: '40' }));
    expect(tuning.maxConcurrentWorkflowTaskPolls).toBe(8);
  });

  it('refuses a poll ratio outside (0, 1] and fewer than 2 polls', () => {
    expect(() => loadConfig({ WORKER_NONSTICKY_POLL_RATIO: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKER_NONSTICKY_POLL_RATIO: '1.5' })).toThrow(/WORKER_NONSTICKY_POLL_RATIO/);
    expect(() => loadConfig({ WORKER_MAX_WORKFLOW_TASK_POLLS: '1' })).toThrow(/WORKER_MAX_WORKFLOW_TASK_POLLS/);
    expect(loadConfig({ WORKER_NONSTICKY_POLL_RATIO: '1' }).WORKER_NONSTICKY_POLL_RATIO).toBe(1);
  });
});
