// An order's workflow history as timeline entries, read from a recorded history (no server): what a person needs to
// follow the order, without the engine's bookkeeping.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { timelineOf } from '../../src/temporal/order-history.ts';

const recorded = async (file: string) =>
  historyFromJSON(JSON.parse(await readFile(new URL(`../workflows/histories/v5-adopt-final-status/${file}`, import.meta.url), 'utf8')));

describe("a workflow's part of the timeline", () => {
  it('when a pay arrives during the charge, then the story is start, steps, wait, the request, completion', async () => {
    const history = await recorded('paid-during-charge.json');
    const story = timelineOf(history.events ?? []).map((e) => `${e.event} ${e.detail}`);
    expect(story).toEqual([
      'workflow-started the order workflow started',
      expect.stringMatching(/^local-step markProcessing → \{"status":"Processing","changed":true\}$/),
      'status-recorded OrderStatus = "Processing"',
      expect.stringMatching(/^local-step chargePayment → \{"approved":false/),
      expect.stringMatching(/^local-step recordPaymentDue → true$/),
      'timer-started waiting up to 600 s for payment',
      'signal-received orderRequest "pay"',
      'timer-cancelled the wait ended before the deadline',
      expect.stringMatching(/^local-step completeOrder → \{"status":"Completed","changed":true\}$/),
      'status-recorded OrderStatus = "Completed"',
      expect.stringMatching(/^workflow-completed finished with /),
    ]);
  });

  it('when a history has patch markers and the SDK upserts its version attribute, then neither shows as a step', async () => {
    const history = await recorded('completed.json');
    const entries = timelineOf(history.events ?? []);
    expect(entries.filter((e) => e.detail.includes('core_patch') || e.detail === 'OrderStatus = ')).toEqual([]);
    expect(entries.every((e) => e.source === 'workflow' && !Number.isNaN(Date.parse(e.at)))).toBe(true);
  });
});
