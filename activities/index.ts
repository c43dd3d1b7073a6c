// Activities of the order workflow, built by a factory that receives their dependencies (database, Kafka producer,
// payment provider). The saga's activities land here; the worker registers whatever this returns.
export function createActivities(): Record<string, (...args: never[]) => Promise<unknown>> {
  return {};
}
