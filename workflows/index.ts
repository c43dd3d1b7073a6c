// Entry point the Temporal worker bundles: every workflow type the `orders` task queue serves. Test-only workflows
// live under test/ and are bundled by the tests alone (test/helpers/test-workflows.ts).
export { orderWorkflow } from './order.workflow.ts';
