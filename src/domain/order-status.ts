// Order statuses, their legacy numeric codes (0-4, as the earlier service used them) and the allowed transitions.

export const ORDER_STATUSES = ['Pending', 'Processing', 'Completed', 'Cancelled', 'Expired'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses an order never leaves. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['Completed', 'Cancelled', 'Expired'];

const transitions: Record<OrderStatus, readonly OrderStatus[]> = {
  Pending: ['Processing', 'Cancelled', 'Expired'],
  Processing: ['Completed', 'Cancelled', 'Expired'],
  Completed: [],
  Cancelled: [],
  Expired: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to);
}

/** Moving into these gives the order's reserved stock back. */
export function releasesStock(to: OrderStatus): boolean {
  return to === 'Cancelled' || to === 'Expired';
}

/** Accepts a status name or its numeric code (0 = Pending … 4 = Expired). */
export function parseOrderStatus(value: string | number): OrderStatus | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? ORDER_STATUSES[value] : undefined;
  return (ORDER_STATUSES as readonly string[]).includes(value) ? (value as OrderStatus) : undefined;
}
