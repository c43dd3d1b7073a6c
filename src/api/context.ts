// Per-request context shared by the routes: the caller (after auth), a forked EntityManager, the request id.
import type { EntityManager } from '@mikro-orm/postgresql';

export type AppEnv = {
  Variables: {
    userId: number;
    em: EntityManager;
    requestId: string;
  };
};
