// Entry point the Temporal worker bundles: every workflow type the `orders` task queue serves.
export { orderWorkflow } from './order.workflow.ts';
export { smokeWorkflow } from './smoke.workflow.ts';
