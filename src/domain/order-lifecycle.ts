// The order lifecycle, defined once. Every other place that knows about statuses derives from this table: the
// activities' conditional SQL (order-transitions.ts), the deletion rule (order.service.ts), which HTTP status requests
// are accepted or answered 409 (order-status-requests.ts), the workflow's types and final states, the entity's column
// type and the API schema's enum, the outcome events and their topics (events.ts), the saga-state metrics' open
// statuses and the demo seed's finished orders. Pure data and functions: the workflow bundle imports it, so no I/O and
// no imports.
//
//   Pending ──start──► Processing ──complete──► Completed
//      │                   │
//      ├────────cancel─────┴──► Cancelled   (stock released, OrderCancelled)
//      ├────────expire─────┴──► Expired     (stock released, OrderExpired)
//      └──delete──► (row removed, stock released, unpublished OrderCreated dropped)

/** Every status, in the order of the legacy numeric codes the earlier service used (0 = Pending … 4 = Expired). */
export const ORDER_STATUSES = ['Pending', 'Processing', 'Completed', 'Cancelled', 'Expired'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type Transition = {
  /** The statuses the move is allowed from; the database update is conditional on them. */
  readonly from: readonly OrderStatus[];
  /** The status afterwards; null means the order row is deleted. */
  readonly to: OrderStatus | null;
  /** Whether the order's reserved stock goes back to the products, in the same transaction. */
  readonly releasesStock: boolean;
  /** The event written to the outbox in the same transaction, if any (its schema and topic: events.ts). */
  readonly event: `Order${string}` | null;
};

export const TRANSITIONS = {
  start: { from: ['Pending'], to: 'Processing', releasesStock: false, event: null },
  complete: { from: ['Processing'], to: 'Completed', releasesStock: false, event: 'OrderCompleted' },
  cancel: { from: ['Pending', 'Processing'], to: 'Cancelled', releasesStock: true, event: 'OrderCancelled' },
  expire: { from: ['Pending', 'Processing'], to: 'Expired', releasesStock: true, event: 'OrderExpired' },
  delete: { from: ['Pending'], to: null, releasesStock: true, event: null },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TRANSITIONS;
/** Transitions that keep the order and change its status. */
export type StatusTransitionName = { [K in TransitionName]: (typeof TRANSITIONS)[K]['to'] extends null ? never : K }[TransitionName];

const transitionList: ReadonlyArray<Transition> = Object.values(TRANSITIONS);

/** The outcome events the transitions announce. */
export type OutcomeEventType = NonNullable<(typeof TRANSITIONS)[TransitionName]['event']>;
export const OUTCOME_EVENTS: readonly OutcomeEventType[] = [
  ...new Set(transitionList.flatMap((t) => (t.event === null ? [] : [t.event as OutcomeEventType]))),
];

/** Whether the transition may start from `status`. */
export function allows(name: TransitionName, status: OrderStatus): boolean {
  return (TRANSITIONS[name].from as readonly OrderStatus[]).includes(status);
}

/** A status no transition leaves. */
export function isFinalStatus(status: OrderStatus): boolean {
  return !transitionList.some((t) => t.from.includes(status));
}

/** Statuses no transition leaves, in table order. */
export const FINAL_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => isFinalStatus(s));
/** Statuses an order can still leave: the age of their oldest order is a backlog. */
export const OPEN_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => !isFinalStatus(s));

/** Statuses in which an order still holds its reserved stock: some transition from them gives it back. */
export const STOCK_HOLDING_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) =>
  transitionList.some((t) => t.releasesStock && t.from.includes(s)),
);

/** The status an order has once the transition announcing `event` moved it there. */
export function statusAnnouncedBy(event: OutcomeEventType): OrderStatus {
  const to = transitionList.find((t) => t.event === event)?.to;
  if (!to) throw new Error(`no transition announces ${event}`);
  return to;
}

/** Whether `to` can be reached from `from` in one or more transitions. */
export function canReach(from: OrderStatus, to: OrderStatus): boolean {
  const seen = new Set<OrderStatus>();
  const queue: OrderStatus[] = [from];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const t of transitionList) {
      if (!t.from.includes(current) || t.to === null || seen.has(t.to)) continue;
      if (t.to === to) return true;
      seen.add(t.to);
      queue.push(t.to);
    }
  }
  return false;
}

/** Whether an order in `status` has got to `target` or past it (every later status is only reachable via it). */
export function hasReached(status: OrderStatus, target: OrderStatus): boolean {
  return status === target || canReach(target, status);
}

/** Accepts a status name or its legacy numeric code (0 = Pending … 4 = Expired). */
export function parseOrderStatus(value: string | number): OrderStatus | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? ORDER_STATUSES[value] : undefined;
  return (ORDER_STATUSES as readonly string[]).includes(value) ? (value as OrderStatus) : undefined;
}
