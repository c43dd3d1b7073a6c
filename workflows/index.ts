// Entry point the Temporal worker bundles: every workflow type the `orders` task queue serves.
export { smokeWorkflow } from './smoke.workflow.ts';
