// The order workflow's public surface, shared by the workflow, the worker, the bridge and the API: ids, message
// definitions, search attributes and payload types. Deterministic-safe (only @temporalio/common and workflow).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus } from '../src/domain/order-lifecycle.ts';

/** Readable, business-keyed workflow id (`order-42` with the default TEMPORAL_WORKFLOW_ID_PREFIX): one per order, ever. */
export const orderWorkflowId = (prefix: string, orderId: number) => `${prefix}${orderId}`;

export type OrderWorkflowInput = {
  orderId: number;
  userId: number;
  /** Decimal string, e.g. "1029.98". */
  total: string;
  /** How long an unpaid order waits for a payment confirmation before it expires (ORDER_EXPIRY). */
  expiryMs: number;
};

/** The order's status as the workflow knows it. `Gone`: the order vanished or was already past Pending, so the run
 * ended quietly. */
export type WorkflowOrderStatus = OrderStatus | 'Gone';
/** Where the run is (the getState query): finer than the order's `phase` in the API, which the database tells
 * (src/orders/order-view.ts) and which has no `starting` or `finishing`. */
export type WorkflowPhase = 'starting' | 'charging' | 'awaiting-payment' | 'finishing' | 'done';

export type OrderWorkflowState = {
  orderId: number;
  status: WorkflowOrderStatus;
  phase: WorkflowPhase;
  paymentApproved: boolean | null;
  /** ISO time at which an unpaid order expires, while it waits for payment. */
  expiresAt: string | null;
};

export const getStateQuery = defineQuery<OrderWorkflowState>('getState');
// The three updates below are how the API sent requests before it recorded them as signals. Histories with them
// exist (test/workflows/histories/), and a run may still receive one from an older API, so the handlers stay.
/** The payment went through. Resolves with the order's final status. */
export const confirmPaymentUpdate = defineUpdate<WorkflowOrderStatus>('confirmPayment');
/** The customer cancels. Resolves with the order's final status (Cancelled unless it completed first). */
export const cancelOrderUpdate = defineUpdate<WorkflowOrderStatus>('cancelOrder');
/** Resolves once the order has left Pending, with its status then. */
export const awaitProcessingUpdate = defineUpdate<WorkflowOrderStatus>('awaitProcessing');

/** What a customer asked for, as the workflow acts on it. */
export type OrderRequest = 'pay' | 'cancel' | 'process';
/**
 * A customer's request as the API records it (src/orders/order-status-requests.ts). A signal is in the history as
 * soon as the server has it, even while the workflow task is busy with a charge or no worker polls, and the workflow
 * acts on it when it next runs; the API then reads the order's status from the database instead of waiting for an
 * answer from the workflow.
 */
export const orderRequestSignal = defineSignal<[OrderRequest]>('orderRequest');

export const searchAttributes = {
  orderId: defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD),
  userId: defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD),
  orderStatus: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
};

/** Result of a database status change made by an activity: the order's status afterwards, or Missing. */
export type StatusChange = {
  status: OrderStatus | 'Missing';
  changed: boolean;
  /** markProcessing on an order that was already Processing: its recorded payment due time (v3), if any. A run that
   * finds one resumes the wait of an earlier run instead of charging again (v6). Absent in older histories. */
  paymentDueAt?: string | null;
};

export type PaymentResult = { approved: boolean; reference: string };
