// Roles whose work arrives with the saga (outbox relay, Kafka bridge, notifier). Until then they start, say so, and
// wait for SIGTERM, so every documented role name runs (docker compose starts each as its own service).
import type { RoleStarter } from './role.ts';

export function placeholderRole(name: string): RoleStarter {
  return async (resources) => {
    resources.log.child({ role: name }).info(`role "${name}" has no work yet; idle until stopped`);
    return { name, stop: async () => undefined };
  };
}
