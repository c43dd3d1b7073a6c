// The order state machine and the legacy numeric status codes.
import { describe, expect, it } from '@jest/globals';
import { canTransition, parseOrderStatus, releasesStock } from '../../src/domain/order-status.ts';

describe('order status', () => {
  it('when codes 0-4 are given, then they map to the statuses in their original order', () => {
    expect([0, 1, 2, 3, 4].map((n) => parseOrderStatus(n))).toEqual(['Pending', 'Processing', 'Completed', 'Cancelled', 'Expired']);
    expect(parseOrderStatus(5)).toBeUndefined();
    expect(parseOrderStatus(1.5)).toBeUndefined();
    expect(parseOrderStatus('Completed')).toBe('Completed');
    expect(parseOrderStatus('completed')).toBeUndefined();
  });

  it('when an order is final, then it cannot move anywhere', () => {
    for (const from of ['Completed', 'Cancelled', 'Expired'] as const) {
      for (const to of ['Pending', 'Processing', 'Completed', 'Cancelled', 'Expired'] as const) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('when an order moves forward, then only the saga transitions are allowed', () => {
    expect(canTransition('Pending', 'Processing')).toBe(true);
    expect(canTransition('Processing', 'Completed')).toBe(true);
    expect(canTransition('Pending', 'Completed')).toBe(false);
    expect(canTransition('Processing', 'Pending')).toBe(false);
  });

  it('when an order is cancelled or expires, then its stock is released; otherwise not', () => {
    expect(releasesStock('Cancelled')).toBe(true);
    expect(releasesStock('Expired')).toBe(true);
    expect(releasesStock('Completed')).toBe(false);
  });
});
