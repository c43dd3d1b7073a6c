// Per-request context shared by the routes: the caller (after auth), a forked EntityManager, the request id, and
// the token settings the auth middleware checks against.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TokenConfig } from './auth/tokens.ts';

export type AppEnv = {
  Variables: {
    userId: number;
    em: EntityManager;
    requestId: string;
    tokenConfig: TokenConfig;
  };
};
