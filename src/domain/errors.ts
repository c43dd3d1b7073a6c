// Errors of the domain (orders, stock, users): what went wrong in business terms, never an HTTP status. The API maps
// each kind to its status in one place (src/api/errors.ts); workers and scripts handle them without knowing HTTP.

export class DomainError extends Error {
  /** Details a client may see next to the message (e.g. the order's current status). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends DomainError {}

/** The thing exists but belongs to someone else. */
export class AccessDeniedError extends DomainError {}

/** The request does not fit the current state (e.g. deleting an order that is no longer Pending). */
export class StateConflictError extends DomainError {}

/** The thing is still referenced (a product or a user that orders refer to), so it cannot be deleted. */
export class InUseError extends DomainError {}

/** The e-mail address already belongs to a user (registering, or changing one's address). */
export class EmailTakenError extends DomainError {}

/** The request is well-formed but breaks a business rule (unknown product, insufficient stock, total too large). */
export class RuleViolationError extends DomainError {}

/** A service the operation needs is unreachable right now; retrying later can succeed. */
export class UnavailableError extends DomainError {}

export const notFound = (what: string, id: number) => new NotFoundError(`${what} with ID ${id} not found`);

/** A retry key (Idempotency-Key) that was already used for a different request. */
export class IdempotencyKeyReusedError extends DomainError {}
