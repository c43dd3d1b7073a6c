// Which patch markers a history recorded, read from recorded histories (no server): what the patch-usage listing
// counts per open run.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { recordedPatches } from '../../src/temporal/patch-usage.ts';

const recorded = async (version: string, file: string) =>
  historyFromJSON(
    JSON.parse(
      await readFile(
        new URL(`../workflows/${version.startsWith('v1') ? 'retired-histories' : 'histories'}/${version}/${file}`, import.meta.url),
        'utf8',
      ),
    ),
  );

describe('the patches a run recorded', () => {
  it('when a run started before any patch, then it recorded none', async () => {
    expect(recordedPatches((await recorded('v1-activities', 'completed.json')).events ?? [])).toEqual(new Set());
  });

  it('when a v5 run was declined and waited for payment, then it recorded the start patches and record-payment-due', async () => {
    const patches = recordedPatches((await recorded('v5-adopt-final-status', 'paid-after-decline.json')).events ?? []);
    expect([...patches].sort()).toEqual(['local-db-steps', 'local-payment', 'record-payment-due']);
  });

  it('when a v5 run was approved at once, then record-payment-due was never reached', async () => {
    const patches = recordedPatches((await recorded('v5-adopt-final-status', 'completed.json')).events ?? []);
    expect([...patches].sort()).toEqual(['local-db-steps', 'local-payment']);
  });
});
