// Per-request context shared by the routes: the caller and their role (after auth), the database, the request id,
// and the settings the auth middleware checks against.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'hono';
import type { Config } from '../config.ts';
import type { UserRole } from '../db/entities.ts';
import type { Orm } from '../db/orm.ts';
import type { CredentialStore } from './auth/credentials.ts';
import type { TokenConfig } from './auth/tokens.ts';

export type AuthConfig = TokenConfig & Pick<Config, 'PRODUCT_WRITE_ACCESS'>;

export type AppEnv = {
  Variables: {
    userId: number;
    role: UserRole;
    orm: Orm;
    /** The request's forked EntityManager, once `entityManager(c)` made it. */
    forkedEm: EntityManager | undefined;
    requestId: string;
    authConfig: AuthConfig;
    credentials: CredentialStore;
  };
};

/**
 * The request's own EntityManager (identity map, unit of work) for routes that load or change entities, forked on
 * first use: the hot paths run plain SQL through `db(c)` and never pay for a fork.
 */
export function entityManager(c: Context<AppEnv>): EntityManager {
  let forked = c.get('forkedEm');
  if (!forked) {
    forked = c.get('orm').em.fork();
    c.set('forkedEm', forked);
  }
  return forked;
}

/**
 * For plain SQL (`execute`) and `transactional` (which forks its own EntityManager): the shared EntityManager, never
 * used for entities, so no per-request state is needed.
 */
export const db = (c: Context<AppEnv>): EntityManager => c.get('orm').em;
