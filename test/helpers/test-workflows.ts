// Entry point of the tests' workflow bundle (test/helpers/temporal.ts): every production workflow, as the worker
// bundles them from workflows/index.ts, plus the test-only ones. Runs in the workflow sandbox, so it is linted like
// workflows/ (deterministic imports only).
export * from '../../workflows/index.ts';
export { smokeWorkflow } from '../workflows/smoke.workflow.ts';
