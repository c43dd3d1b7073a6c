// A role is one kind of process (api, relay, bridge, worker, notifier). Starting one returns its stop function;
// stop must stop taking work, finish in-flight work and release what the role owns.
import type { LoopState } from '../lib/loop-state.ts';
import type { Resources } from './resources.ts';

export type RunningRole = {
  name: string;
  stop: () => Promise<void>;
  /** The role's own loop (background roles): what /health/ready on METRICS_PORT reports. */
  loop?: () => LoopState;
};
export type RoleStarter = (resources: Resources) => Promise<RunningRole>;
