// Per-request context shared by the routes: the caller and their role (after auth), a forked EntityManager, the
// request id, and the settings the auth middleware checks against.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';
import type { UserRole } from '../db/entities.ts';
import type { TokenConfig } from './auth/tokens.ts';

export type AuthConfig = TokenConfig & Pick<Config, 'PRODUCT_WRITE_ACCESS'>;

export type AppEnv = {
  Variables: {
    userId: number;
    role: UserRole;
    em: EntityManager;
    requestId: string;
    authConfig: AuthConfig;
  };
};
