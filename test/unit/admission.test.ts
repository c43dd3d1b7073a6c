// Admission control's rules, without servers: which backlogs close the door, that an unknown measurement admits, and
// that the verdict a request reads comes from a background measurement at most every refreshMs.
import { describe, expect, it } from '@jest/globals';
import { AdmissionControl, overLimits, type Backlog } from '../../src/health/admission.ts';

const limits = { outboxAgeSeconds: 30, bridgeLag: 1000, taskAgeSeconds: 20 };
const ok = (value: number) => ({ ok: true as const, value });
const calm: Backlog = { outboxAgeSeconds: ok(1), bridgeLag: ok(3), taskAgeSeconds: ok(0.5) };

describe('admission limits', () => {
  it('when every backlog is under its limit, then no reason to refuse', () => {
    expect(overLimits(calm, limits)).toEqual([]);
  });

  it('when each backlog is over its limit, then one reason each', () => {
    const jammed = { outboxAgeSeconds: ok(31.4), bridgeLag: ok(1001), taskAgeSeconds: ok(45) };
    expect(overLimits(jammed, limits)).toEqual([
      'oldest unpublished event is 31 s old (limit 30 s)',
      '1001 OrderCreated events not yet consumed by the bridge (limit 1000)',
      'oldest workflow task waits 45 s (limit 20 s)',
    ]);
  });

  it('when a measurement failed, then it does not count against admission', () => {
    const unknown = { ...calm, taskAgeSeconds: { ok: false as const, error: 'Temporal unreachable' } };
    expect(overLimits(unknown, limits)).toEqual([]);
  });

  it('when a limit is 0, then it is off', () => {
    expect(overLimits({ ...calm, bridgeLag: ok(1e9) }, { ...limits, bridgeLag: 0 })).toEqual([]);
  });
});

describe('the admission verdict', () => {
  const control = (measure: () => Promise<Backlog>, now: () => number, onChange?: (s: unknown) => void) =>
    new AdmissionControl({ measure, limits, refreshMs: 1000, now, ...(onChange && { onChange }) });

  it('when nothing was measured yet, then admitting', () => {
    expect(control(async () => calm, Date.now).state()).toEqual({ admitting: true, checkedAt: null });
  });

  it('when the backlog goes over a limit and back, then the door closes and opens, and each change is told once', async () => {
    let backlog = calm;
    const changes: unknown[] = [];
    const admission = control(
      async () => backlog,
      Date.now,
      (s) => changes.push(s),
    );
    backlog = { ...calm, bridgeLag: ok(5000) };
    await admission.refresh();
    expect(admission.state()).toEqual({
      admitting: false,
      reasons: ['5000 OrderCreated events not yet consumed by the bridge (limit 1000)'],
      since: expect.any(String),
      checkedAt: expect.any(String),
    });
    await admission.refresh();
    backlog = calm;
    await admission.refresh();
    expect(admission.state()).toEqual({ admitting: true, checkedAt: expect.any(String) });
    expect(changes.map((c) => (c as { admitting: boolean }).admitting)).toEqual([false, true]);
  });

  it('when the measurement throws, then admitting', async () => {
    const admission = control(async () => Promise.reject(new Error('down')), Date.now);
    await admission.refresh();
    expect(admission.state().admitting).toBe(true);
  });

  it('when requests read the verdict often, then the backlog is measured at most once per refreshMs', async () => {
    let now = 0;
    let measured = 0;
    const admission = control(
      async () => (measured++, calm),
      () => now,
    );
    for (let i = 0; i < 50; i++) admission.state();
    await admission.refresh(); // joins the one already running
    expect(measured).toBe(1);
    now = 999;
    admission.state();
    expect(measured).toBe(1);
    now = 1000;
    admission.state();
    await admission.refresh();
    expect(measured).toBe(2);
  });

  it('when a refusal is older than 10 s (no request measured since), then it no longer refuses', async () => {
    let now = 0;
    const admission = control(
      async () => ({ ...calm, taskAgeSeconds: ok(90) }),
      () => now,
    );
    await admission.refresh();
    expect(admission.state().admitting).toBe(false);
    now = 9000;
    expect(admission.state().admitting).toBe(false);
    now = 19_001;
    expect(admission.state().admitting).toBe(true);
  });
});
