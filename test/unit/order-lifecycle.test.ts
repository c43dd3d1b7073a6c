// The lifecycle table and what is derived from it: final statuses, reachability (which status requests the API
// accepts and when they count as done) and the legacy numeric status codes.
import { describe, expect, it } from '@jest/globals';
import {
  allows,
  canReach,
  hasReached,
  isFinalStatus,
  ORDER_STATUSES,
  parseOrderStatus,
  TRANSITIONS,
} from '../../src/domain/order-lifecycle.ts';

describe('order lifecycle', () => {
  it('when codes 0-4 are given, then they map to the statuses in their original order', () => {
    expect([0, 1, 2, 3, 4].map((n) => parseOrderStatus(n))).toEqual(['Pending', 'Processing', 'Completed', 'Cancelled', 'Expired']);
    expect(parseOrderStatus(5)).toBeUndefined();
    expect(parseOrderStatus(1.5)).toBeUndefined();
    expect(parseOrderStatus('Completed')).toBe('Completed');
    expect(parseOrderStatus('completed')).toBeUndefined();
  });

  it('when the table is read, then exactly Completed, Cancelled and Expired are final', () => {
    expect(ORDER_STATUSES.filter(isFinalStatus)).toEqual(['Completed', 'Cancelled', 'Expired']);
  });

  it('when an order is final, then no status can be reached from it', () => {
    for (const from of ['Completed', 'Cancelled', 'Expired'] as const) {
      for (const to of ORDER_STATUSES) expect(canReach(from, to)).toBe(false);
    }
  });

  it('when an order is Pending, then every other status is reachable, Completed only through Processing', () => {
    expect(ORDER_STATUSES.filter((to) => canReach('Pending', to))).toEqual(['Processing', 'Completed', 'Cancelled', 'Expired']);
    expect(allows('complete', 'Pending')).toBe(false);
    expect(allows('complete', 'Processing')).toBe(true);
    expect(canReach('Processing', 'Pending')).toBe(false);
  });

  it('when an order moved past a status, then it has reached it; a sibling outcome has not', () => {
    expect(hasReached('Completed', 'Processing')).toBe(true);
    expect(hasReached('Cancelled', 'Processing')).toBe(true);
    expect(hasReached('Pending', 'Processing')).toBe(false);
    expect(hasReached('Completed', 'Cancelled')).toBe(false);
    expect(hasReached('Cancelled', 'Cancelled')).toBe(true);
  });

  it('when stock is released, then it is by exactly cancel, expire and delete, each from Pending at least', () => {
    const releasing = Object.entries(TRANSITIONS).filter(([, t]) => t.releasesStock);
    expect(releasing.map(([name]) => name).sort()).toEqual(['cancel', 'delete', 'expire']);
    for (const [, t] of releasing) expect(t.from).toContain('Pending');
  });

  it('when a transition reaches a final status, then it announces an outcome event, and only then', () => {
    for (const t of Object.values(TRANSITIONS)) {
      const final = t.to !== null && isFinalStatus(t.to);
      expect(t.event !== null).toBe(final);
    }
  });
});
